"""The ledger: every movement of every balance, and the check that recomputes them."""
