"""The audit trail: who changed what through the gateway, and each entity's event history."""
