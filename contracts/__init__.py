"""The published language between services: the event envelope and every event's schema."""

from contracts import sharing as sharing
from contracts import staffing as staffing
from contracts import talent as talent
from contracts.base import REGISTRY, Envelope, Event, event_model, registered_events

__all__ = ["REGISTRY", "Envelope", "Event", "event_model", "registered_events"]
