"""The demo accounts of the embedded city (never in production); password `demo12345`."""

from __future__ import annotations

from dataclasses import dataclass

from common.auth import Principal
from common.city import DEMO_TEACHER_ID, DemoCity

# The demo city only: seeding refuses to run in production (teacherpool seed, launcher).
DEMO_PASSWORD = "demo12345"  # noqa: S105
QINGYANG_CODE = "510105"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    district_code: str | None = None
    at_demo_school: bool = False


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
            at_demo_school=True,
        ),
        DemoAccount(
            "teacher.demo",
            "teacher",
            "张老师",
            district_code=QINGYANG_CODE,
            at_demo_school=True,
        ),
    )
}


def demo_principal(username: str, city: DemoCity) -> Principal:
    """The identity a demo account carries in the city; KeyError for an unknown name."""
    account = DEMO_ACCOUNTS[username]
    district = city.district_by_code(account.district_code) if account.district_code else None
    school = city.school_by_code(city.demo_school_code) if account.at_demo_school else None
    return Principal(
        sub=f"user:{account.username}",
        kind="user",
        role=account.role,
        name=account.display_name,
        district_id=district.id if district else None,
        unit_id=school.id if school else None,
        teacher_id=DEMO_TEACHER_ID if account.role == "teacher" else None,
    )
