"""Jinja2 templates, the user's language and the filters every page uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from common.clock import LOCAL_TIME
from gateway.ui.i18n import HTML_LANG, LANGUAGES, translations
from gateway.ui.labels import certificate, label, reason

TEMPLATES = Path(__file__).parent / "templates"
SHANGHAI = LOCAL_TIME

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


#: Babel's locale for each UI language.
BABEL_LOCALE = {"zh_CN": "zh_Hans_CN", "en": "en"}
#: Dates as each language writes them in a sentence or a table: 2026年11月30日, Nov 30, 2026.
DATE_FORMAT = {"zh_CN": "long", "en": "medium"}
DATETIME_FORMAT = {"zh_CN": "y年M月d日 HH:mm", "en": "MMM d, y, HH:mm"}


def _instant(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(SHANGHAI)


def local_time(value: str | datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant shown in Asia/Shanghai, by a strftime pattern (for machine-like columns)."""
    if not value:
        return ""
    return _instant(value).strftime(pattern)


def when(value: str | datetime | None, language: str) -> str:
    """A UTC instant in Asia/Shanghai as the language writes it: 2026年11月30日 14:05."""
    if not value:
        return ""
    return format_datetime(
        _instant(value), DATETIME_FORMAT[language], tzinfo=SHANGHAI, locale=BABEL_LOCALE[language]
    )


def local_date(value: str | date | None, language: str = "zh_CN") -> str:
    """A calendar day as the language writes it: 2026年11月30日, Nov 30, 2026."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return format_date(day, DATE_FORMAT[language], locale=BABEL_LOCALE[language])


def month_name(value: str | None, language: str = "zh_CN") -> str:
    """A month (2026-11) as the language writes it: 2026年11月, Nov 2026."""
    if not value:
        return ""
    try:
        first = date.fromisoformat(f"{value[:7]}-01")
    except ValueError:
        return value
    return format_skeleton("yMMM", first, locale=BABEL_LOCALE[language])


def money(cents: int | None, language: str = "zh_CN") -> str:
    """An amount kept in fen (cents) as yuan with two decimals: 1,234.50 元, CN¥1,234.50."""
    if cents is None or cents == "":
        return "—"
    yuan = Decimal(int(cents)) / 100
    if language == "zh_CN":
        return f"{format_decimal(yuan, '#,##0.00', locale=BABEL_LOCALE[language])} 元"
    return format_currency(yuan, "CNY", locale=BABEL_LOCALE[language])


def number(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@pass_context
def _day(context: Context, value: str | date | None) -> str:
    return local_date(value, context.get("lang", "zh_CN"))


@pass_context
def _local(context: Context, value: str | datetime | None, pattern: str | None = None) -> str:
    return local_time(value, pattern) if pattern else when(value, context.get("lang", "zh_CN"))


@pass_context
def _month(context: Context, value: str | None) -> str:
    return month_name(value, context.get("lang", "zh_CN"))


@pass_context
def _money(context: Context, cents: int | None) -> str:
    return money(cents, context.get("lang", "zh_CN"))


environment.filters.update(local=_local, day=_day, month=_month, number=number, money=_money)


def translator(language: str) -> Callable[..., str]:
    """`_("…", name=value)`: the message in `language`, with named values put in."""
    catalog = translations(language)

    def _(message: str, **values: Any) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    _.language = language  # type: ignore[attr-defined]  # read back by forms.py (getattr)
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
        reason=lambda item: reason(item, _, language),
        **context,
    )
