"""Talent service."""
