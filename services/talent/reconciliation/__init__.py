"""The talent side of `teacherpool reconcile`."""
