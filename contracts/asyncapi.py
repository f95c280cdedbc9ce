"""The AsyncAPI 3.0 document of every event, generated from the contracts."""

from __future__ import annotations

from typing import Any

from contracts import Envelope, registered_events
from contracts.base import Event

REF = "#/components/schemas/{model}"


def message_name(cls: type[Event]) -> str:
    return cls.__name__


def build(nats_host: str = "127.0.0.1:4223") -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    envelope = Envelope.model_json_schema(ref_template=REF)
    schemas.update(envelope.pop("$defs", {}))
    schemas["Envelope"] = envelope
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cls in registered_events():
        name = message_name(cls)
        schema = cls.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
        publisher = cls.event_type.split(".", 1)[0]
        messages[name] = {
            "name": cls.event_type,
            "title": name,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {"Nats-Msg-Id": {"type": "string", "format": "uuid"}},
            },
            "payload": {
                "allOf": [
                    {"$ref": REF.format(model="Envelope")},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": cls.event_type},
                            "dataschema": {"const": cls.schema_uri()},
                            "data": {"$ref": REF.format(model=name)},
                        },
                    },
                ]
            },
        }
        channels[cls.event_type] = {
            "address": cls.event_type,
            "title": cls.event_type,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"{publisher}_publishes_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cls.event_type}"},
            "messages": [{"$ref": f"#/channels/{cls.event_type}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "teacherpool events",
            "version": "1.0.0",
            "description": "Integration events between the staffing, sharing and talent services "
            "and the gateway, published on NATS JetStream in a CloudEvents envelope.",
        },
        "defaultContentType": "application/json",
        "servers": {"nats": {"host": nats_host, "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
