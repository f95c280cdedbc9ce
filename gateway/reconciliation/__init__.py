"""`teacherpool reconcile` and city HR's reconciliation page: every hand-over, both sides."""
