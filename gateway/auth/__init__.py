"""Identity at the gateway: users, sessions, API tokens, partner keys."""
