"""The demo accounts of the embedded city (never in production); password `demo12345`."""

from __future__ import annotations

from dataclasses import dataclass

from common.auth import Principal
from teacherpool.demo import DEMO_SCHOOL_CODE, load_districts, unit_id

DEMO_PASSWORD = "demo12345"
QINGYANG_CODE = "510105"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    district_code: str | None = None
    school_code: str | None = None


DEMO_ACCOUNTS: dict[str, DemoAccount] = {
    a.username: a
    for a in (
        DemoAccount("cityhr", "city_hr", "成都市教育局人事处"),
        DemoAccount("commission", "staffing_commission", "成都市委编办"),
        DemoAccount(
            "qingyang.hr", "district_hr", "青羊区教育局人事科", district_code=QINGYANG_CODE
        ),
        DemoAccount(
            "school.demo",
            "school_admin",
            "成都市青羊区实验学校",
            district_code=QINGYANG_CODE,
            school_code=DEMO_SCHOOL_CODE,
        ),
        DemoAccount(
            "teacher.demo",
            "teacher",
            "张老师",
            district_code=QINGYANG_CODE,
            school_code=DEMO_SCHOOL_CODE,
        ),
    )
}


def demo_principal(username: str) -> Principal:
    """The identity a demo account carries; KeyError for an unknown name."""
    account = DEMO_ACCOUNTS[username]
    codes = {d.code for d in load_districts()}
    if account.district_code and account.district_code not in codes:
        raise KeyError(account.district_code)
    return Principal(
        sub=f"user:{account.username}",
        kind="user",
        role=account.role,  # type: ignore[arg-type]
        name=account.display_name,
        district_id=unit_id(account.district_code) if account.district_code else None,
        unit_id=unit_id(account.school_code) if account.school_code else None,
    )
