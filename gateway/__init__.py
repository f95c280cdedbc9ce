"""The gateway: the one public entry, in front of the three services."""
