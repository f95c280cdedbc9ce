"""Events that the talent service publishes (stream TALENT, subjects talent.>)."""
