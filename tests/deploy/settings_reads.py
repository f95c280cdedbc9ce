"""Which settings each teacherpool command reads, for tests of deployment environments."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from common.settings import CommonSettings
from gateway.settings import GatewaySettings
from services.sharing.settings import SharingSettings
from services.staffing.settings import StaffingSettings
from services.talent.settings import TalentSettings

#: Which settings classes each teacherpool command builds, keyed by environment prefix.
READS: dict[str, dict[str, type[BaseSettings]]] = {
    "staffing": {"TP_STAFFING_": StaffingSettings},
    "sharing": {"TP_SHARING_": SharingSettings},
    "talent": {"TP_TALENT_": TalentSettings},
    "gateway": {"TP_GATEWAY_": GatewaySettings},
    "migrate": {
        "TP_STAFFING_": StaffingSettings,
        "TP_SHARING_": SharingSettings,
        "TP_TALENT_": TalentSettings,
        "TP_GATEWAY_": GatewaySettings,
    },
}
ALL_PREFIXES = ("TP_STAFFING_", "TP_SHARING_", "TP_TALENT_", "TP_GATEWAY_")


def unread(command: str, variable: str) -> str | None:
    """Why `command` would ignore the TP_ `variable`, or None when a settings field reads it."""
    reads = READS[command]
    prefix = next((p for p in ALL_PREFIXES if variable.startswith(p)), None)
    cls: type[BaseSettings]
    if prefix is None:
        field, cls = variable.removeprefix("TP_").lower(), CommonSettings
    elif prefix not in reads:
        return f"{command} sets {variable}, but reads no {prefix}* settings"
    else:
        field, cls = variable.removeprefix(prefix).lower(), reads[prefix]
    if field in cls.model_fields and field != "common":
        return None
    return f"{command} sets {variable}, which {cls.__name__} does not read"
