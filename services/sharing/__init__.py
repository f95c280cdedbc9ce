"""Sharing service."""
