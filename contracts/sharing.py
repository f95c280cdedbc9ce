"""Events that the sharing service publishes (stream SHARING, subjects sharing.>)."""
