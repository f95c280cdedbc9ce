"""Statutory holidays and 调休 working days as the State Council's General Office publishes them.

Each year's notice (国务院办公厅关于YYYY年部分节假日安排的通知) lists, per festival, the days off
(放假调休) and the weekend days worked instead (上班). A worked weekend day takes the timetable of
the weekday it gives back; the notices do not say which one, so `follows` pairs each worked day
with a weekday given off in the same festival, in date order. That pairing is this project's
default for city HR to check and change, not part of the notice.

Only years whose notice has been published are here. The 2027 notice had not been found when this
table was written: city HR adds 2027 by import or in the UI once it is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Festival:
    name: str
    first: date
    last: date
    #: Weekend days worked, each with the weekday (1 = Monday) whose timetable it follows.
    worked: tuple[tuple[date, int], ...] = ()

    @property
    def days_off(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class Notice:
    year: int
    title: str
    #: The document number (发文字号). None where the copies found do not print it.
    number: str | None
    issued_on: date
    festivals: tuple[Festival, ...]

    @property
    def source(self) -> str:
        number = f"（{self.number}）" if self.number else ""
        return f"{self.title}{number}，{self.issued_on:%Y-%m-%d}"


NOTICE_2026 = Notice(
    year=2026,
    title="国务院办公厅关于2026年部分节假日安排的通知",
    number=None,
    issued_on=date(2025, 11, 4),
    festivals=(
        # 一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
        Festival("元旦", date(2026, 1, 1), date(2026, 1, 3), ((date(2026, 1, 4), 5),)),
        # 二、春节：2月15日（周日）至23日（周一）放假调休，共9天。
        #     2月14日（周六）、2月28日（周六）上班。
        Festival(
            "春节",
            date(2026, 2, 15),
            date(2026, 2, 23),
            ((date(2026, 2, 14), 5), (date(2026, 2, 28), 1)),
        ),
        # 三、清明节：4月4日（周六）至6日（周一）放假，共3天。
        Festival("清明节", date(2026, 4, 4), date(2026, 4, 6)),
        # 四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
        Festival("劳动节", date(2026, 5, 1), date(2026, 5, 5), ((date(2026, 5, 9), 2),)),
        # 五、端午节：6月19日（周五）至21日（周日）放假，共3天。
        Festival("端午节", date(2026, 6, 19), date(2026, 6, 21)),
        # 六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
        Festival("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
        # 七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。
        #     9月20日（周日）、10月10日（周六）上班。
        Festival(
            "国庆节",
            date(2026, 10, 1),
            date(2026, 10, 7),
            ((date(2026, 9, 20), 2), (date(2026, 10, 10), 3)),
        ),
    ),
)

PUBLISHED: tuple[Notice, ...] = (NOTICE_2026,)


def calendar_rows(notice: Notice) -> list[dict[str, object]]:
    """The notice as calendar_days rows: each day off, then each worked weekend day."""
    rows: list[dict[str, object]] = []
    for festival in notice.festivals:
        for day in festival.days_off:
            rows.append(
                {
                    "day": day,
                    "kind": "holiday",
                    "name": festival.name,
                    "follows_weekday": None,
                    "source": notice.source,
                }
            )
        for day, weekday in festival.worked:
            rows.append(
                {
                    "day": day,
                    "kind": "workday",
                    "name": f"{festival.name}调休上班",
                    "follows_weekday": weekday,
                    "source": notice.source,
                }
            )
    return rows
