"""The three domain services, each a process with its own database."""
