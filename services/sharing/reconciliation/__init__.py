"""The sharing side of `teacherpool reconcile`."""
