"""Notifications: an inbox per user, live updates and mail, made from the domain events."""
