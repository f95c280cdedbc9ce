"""The real-name roster (实名制): hires, departures, transfers."""
