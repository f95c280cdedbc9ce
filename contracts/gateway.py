"""Events that the gateway publishes (stream GATEWAY, subjects gateway.>)."""
