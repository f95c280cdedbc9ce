"""The staffing side of `teacherpool reconcile`."""
