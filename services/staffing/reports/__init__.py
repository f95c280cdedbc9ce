"""Reports for leadership: a monthly snapshot per district and for the city (月报)."""
