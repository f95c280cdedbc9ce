"""Spreadsheet imports and exports, the way district HR works today."""
