"""Resident identity numbers (居民身份证号码, GB 11643-1999) and masking of personal fields."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from common.clock import local_today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """The normalised number, or ValueError saying exactly what is wrong with it."""
    number = value.strip().upper()
    if len(number) != 18:
        raise ValueError(f"an ID number has 18 characters, this one has {len(number)}")
    if not _SHAPE.match(number):
        raise ValueError("an ID number is 17 digits followed by a digit or X")
    born = birth_date_of(number)
    if born is None:
        raise ValueError(f"characters 7-14 are not a real date of birth ({number[6:14]})")
    if born > (today or local_today()) or born.year < 1900:
        raise ValueError(f"the date of birth {born.isoformat()} is not plausible")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise ValueError("the check digit does not match (GB 11643); the number has a typo")
    return number


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def sex_of(number: str) -> Literal["female", "male"]:
    """The 17th digit is odd for men and even for women."""
    return "male" if int(number[16]) % 2 else "female"


def mask_id_number(number: str | None) -> str | None:
    """The region code (first 6) and the last 2 characters; never the birth date or the
    sequence number, which with the region narrow a person down to a few hundred."""
    return None if number is None else f"{number[:6]}{'*' * (len(number) - 8)}{number[-2:]}"


def mask_phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def mask_email(email: str | None) -> str | None:
    if email is None:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"
