"""PATCH bodies are JSON Merge Patch (RFC 7396), the same in every service.

A member left out stays as it is; `null` clears a member where clearing is allowed; `null` on a
member the record needs (`not_clearable`) is a 422 naming that member. The JSON schema says so: a
member that cannot be cleared is not nullable there, and the object's description lists both kinds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

MERGE_PATCH = (
    "JSON Merge Patch (RFC 7396): a member left out stays as it is; null clears a member that "
    "may be cleared; null on any other member is refused (422 naming it)."
)


def _document(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Members that cannot be cleared lose `null` from their type; the description says which."""
    keep: frozenset[str] = getattr(model, "not_clearable", frozenset())
    properties: dict[str, Any] = schema.get("properties", {})
    for name in keep & properties.keys():
        member = properties[name]
        choices = [c for c in member.get("anyOf", []) if c != {"type": "null"}]
        if len(choices) == 1 and "anyOf" in member:
            del member["anyOf"]
            member.update(choices[0])
        elif choices:
            member["anyOf"] = choices
    for member in properties.values():
        # Left out means unchanged, never a default.
        member.pop("default", None)
    clearable = sorted(properties.keys() - keep)
    lines = [schema.get("description", "").strip(), MERGE_PATCH]
    lines.append("May be cleared: " + (", ".join(clearable) if clearable else "none") + ".")
    schema["description"] = "\n\n".join(line for line in lines if line)


class MergePatch(BaseModel):
    """Base of every PATCH body; subclasses name the members a null may not clear."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document)

    #: Members the record needs: leaving them out keeps them, null is refused.
    not_clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_clearing(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.not_clearable:
            raise ValueError(f"{info.field_name} cannot be cleared; leave it out to keep it")
        return value

    def changes(self) -> dict[str, Any]:
        """The members the caller sent, nulls included: what the patch changes."""
        return self.model_dump(exclude_unset=True)
