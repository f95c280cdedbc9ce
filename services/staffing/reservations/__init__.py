"""Posts held for talent postings."""
