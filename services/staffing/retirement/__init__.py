"""Statutory retirement ages (法定退休年龄) as dated rules, and who is due to retire."""
