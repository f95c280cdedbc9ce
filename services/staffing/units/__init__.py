"""Units: districts and schools."""
