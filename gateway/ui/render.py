"""Jinja2 templates, the user's language and the filters every page uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from common.clock import LOCAL_TIME
from gateway.ui.i18n import HTML_LANG, LANGUAGES, translations
from gateway.ui.labels import certificate, label

TEMPLATES = Path(__file__).parent / "templates"
SHANGHAI = LOCAL_TIME

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_time(value: str | datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant shown in Asia/Shanghai."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(SHANGHAI).strftime(pattern)


def local_date(value: str | date | None) -> str:
    if not value:
        return ""
    return (date.fromisoformat(value) if isinstance(value, str) else value).isoformat()


def number(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


environment.filters.update(local=local_time, day=local_date, number=number)


def translator(language: str) -> Callable[..., str]:
    """`_("…", name=value)`: the message in `language`, with named values put in."""
    catalog = translations(language)

    def _(message: str, **values: Any) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    return _


def render(template: str, language: str, **context: Any) -> str:
    _ = translator(language)
    return environment.get_template(template).render(
        _=_,
        lang=language,
        html_lang=HTML_LANG[language],
        languages=LANGUAGES,
        label=lambda group, code: label(group, code, _, language),
        certificate=lambda held: certificate(held, language),
        **context,
    )
