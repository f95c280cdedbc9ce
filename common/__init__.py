"""The shared kernel: settings, database, events, outbox, inbox, identity, errors, observability."""
