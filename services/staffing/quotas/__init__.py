"""Approved posts per unit and quota type, and their adjustments (核增/核减)."""
