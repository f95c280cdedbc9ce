"""Summaries, staffing standards and shortage warnings (学位预警)."""
