"""Evaluations of shared teachers by their host schools (考核评价)."""
