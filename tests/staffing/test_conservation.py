"""Conservation: random movements never create or lose a post, and the ledger always agrees,
across the city's pool and the districts' own pools, with loans decided concurrently."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import select

from common.db import Database
from common.errors import DomainError
from common.migrations import upgrade
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from services.staffing.ledger.service import verify
from services.staffing.models import DistrictPool, Pool, Quota, Unit
from services.staffing.pool import service as pool
from services.staffing.pool.schemas import (
    ApplicationCreate,
    DecisionCreate,
    DepositCreate,
    ReferralCreate,
    RepaymentCreate,
)
from services.staffing.quotas.schemas import AdjustmentCreate
from services.staffing.quotas.service import adjust
from services.staffing.reservations import service as reservations
from services.staffing.roster import service as roster
from services.staffing.roster.schemas import DepartureCreate, StaffCreate, TransferCreate
from services.staffing.units.service import add_unit
from tests.staffing.support import COMMISSION

TODAY = date(2026, 11, 26)
#: Schools, spread over two districts (0 and 2 in one, 1 in the other); the last is city-direct.
UNITS = 4
DISTRICT_OF = (0, 1, 0, None)
_TEMPLATE: list[Path] = []


def template() -> Path:
    """A migrated SQLite database made once per process, copied for every example."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.db"
        upgrade("staffing", f"sqlite+aiosqlite:///{path}")
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


class PostMovements(RuleBasedStateMachine):
    """Deposits, applications, decisions, hires, departures, transfers, adjustments, postings."""

    staff = Bundle("staff")
    applications = Bundle("applications")
    postings = Bundle("postings")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp())
        shutil.copyfile(template(), self.folder / "staffing.db")
        self.db = Database(f"sqlite+aiosqlite:///{self.folder / 'staffing.db'}")
        self.units: list[uuid.UUID] = []
        self.districts: list[uuid.UUID] = []

    def run(self, work):
        async def transaction():
            async with self.db.session() as session:
                return await work(session)

        try:
            return self.loop.run_until_complete(transaction())
        except DomainError:
            return None

    def teardown(self) -> None:
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(posts=st.lists(st.integers(0, 6), min_size=UNITS, max_size=UNITS))
    def city(self, posts: list[int]) -> None:
        async def work(session):
            for n in range(2):
                district = await add_unit(session, Unit(kind="district", code=f"D{n}", name="区"))
                self.districts.append(district.id)
                await pool.open_district_pool(session, COMMISSION, district.id, "bianzhi")
            for n, count in enumerate(posts):
                home = DISTRICT_OF[n]
                school = await add_unit(
                    session,
                    Unit(
                        kind="school",
                        code=f"S{n}",
                        name=f"校{n}",
                        district_id=None if home is None else self.districts[home],
                    ),
                )
                self.units.append(school.id)
                if count:
                    await adjust(session, COMMISSION, school.id, _adjustment(count))

        self.run(work)

    @rule(unit=st.integers(0, UNITS - 1), delta=st.integers(-3, 4).filter(bool))
    def adjustment(self, unit: int, delta: int) -> None:
        self.run(lambda s: adjust(s, COMMISSION, self.units[unit], _adjustment(delta)))

    @rule(unit=st.integers(0, UNITS - 1), count=st.integers(1, 3), to_district=st.booleans())
    def deposit(self, unit: int, count: int, to_district: bool) -> None:
        data = DepositCreate(unit_id=self.units[unit], count=count, document_no="收储", reason="r")
        home = DISTRICT_OF[unit]
        district = self.districts[home] if to_district and home is not None else None
        self.run(lambda s: pool.deposit(s, COMMISSION, "bianzhi", data, district))

    @rule(
        target=applications,
        unit=st.integers(0, UNITS - 1),
        requested=st.integers(1, 4),
        asked=st.sampled_from(["district", "city", None]),
    )
    def apply(self, unit: int, requested: int, asked: str | None):
        data = ApplicationCreate(
            unit_id=self.units[unit],
            requested=requested,
            reason_kind="enrolment_growth",
            reason="r",
            term_years=3,
            pool=asked,
        )
        application = self.run(lambda s: pool.submit_application(s, COMMISSION, data, TODAY))
        return multiple(application.id) if application else multiple()

    @rule(application=applications)
    def refer(self, application: uuid.UUID) -> None:
        data = ReferralCreate(reason="区级周转池不足")
        self.run(lambda s: pool.refer(s, COMMISSION, application, data))

    @rule(
        chosen=st.lists(consumes(applications), min_size=2, max_size=4, unique=True),
        granted=st.integers(1, 4),
    )
    def decide_concurrently(self, chosen: list[uuid.UUID], granted: int) -> None:
        """Several approvals at once, each in its own transaction, against either level."""
        data = DecisionCreate(outcome="approve", granted=granted, reason="r")

        async def one(application: uuid.UUID) -> None:
            try:
                async with self.db.session() as session:
                    await pool.decide(session, COMMISSION, application, data, TODAY)
            except DomainError:
                pass

        async def race() -> None:
            await asyncio.gather(*(one(a) for a in chosen))

        self.loop.run_until_complete(race())

    @rule(
        application=consumes(applications),
        outcome=st.sampled_from(["approve", "reject"]),
        granted=st.none() | st.integers(1, 4),
    )
    def decide(self, application: uuid.UUID, outcome: str, granted: int | None) -> None:
        data = DecisionCreate(
            outcome=outcome, granted=granted if outcome == "approve" else None, reason="r"
        )
        self.run(lambda s: pool.decide(s, COMMISSION, application, data, TODAY))

    @rule(target=staff, unit=st.integers(0, UNITS - 1))
    def hire(self, unit: int):
        data = StaffCreate(
            unit_id=self.units[unit], name="师", sex="male", birth_date=date(1966, 3, 1)
        )
        person = self.run(lambda s: roster.hire(s, COMMISSION, data, TODAY))
        return multiple(person.id) if person else multiple()

    @rule(person=consumes(staff))
    def depart(self, person: uuid.UUID) -> None:
        data = DepartureCreate(reason="retired")
        self.run(lambda s: roster.depart(s, COMMISSION, person, data, TODAY))

    @rule(person=staff, unit=st.integers(0, UNITS - 1))
    def transfer(self, person: uuid.UUID, unit: int) -> None:
        data = TransferCreate(to_unit_id=self.units[unit])
        self.run(lambda s: roster.transfer(s, COMMISSION, person, data, TODAY))

    @rule(target=postings, unit=st.integers(0, UNITS - 1), count=st.integers(1, 3))
    def open_posting(self, unit: int, count: int):
        event = PostingOpened(
            posting_id=uuid.uuid4(), unit_id=self.units[unit], quota_type="bianzhi", count=count
        )
        self.run(lambda s: reservations.reserve(s, event, "talent"))
        return event.posting_id

    @rule(target=staff, posting=postings)
    def hire_for_posting(self, posting: uuid.UUID):
        event = CandidateHired(
            posting_id=posting,
            application_id=uuid.uuid4(),
            candidate_id=uuid.uuid4(),
            name="新",
            sex="female",
            birth_date=date(1995, 1, 1),
            hire_date=TODAY,
        )
        person = self.run(lambda s: reservations.fill(s, event, "talent"))
        return multiple(person.id) if person else multiple()

    @rule(posting=consumes(postings))
    def close_posting(self, posting: uuid.UUID) -> None:
        self.run(lambda s: reservations.release(s, PostingClosed(posting_id=posting), "talent"))

    @rule(unit=st.integers(0, UNITS - 1))
    def repay_early(self, unit: int) -> None:
        async def work(session):
            from services.staffing.models import Loan

            loan = (
                (
                    await session.execute(
                        select(Loan).where(Loan.unit_id == self.units[unit], Loan.outstanding > 0)
                    )
                )
                .scalars()
                .first()
            )
            if loan is not None:
                data = RepaymentCreate(count=1, document_no="归还")
                await pool.repay_early(session, COMMISSION, loan.id, data)

        self.run(work)

    @invariant()
    def balances_agree_with_the_ledger(self) -> None:
        async def check():
            async with self.db.session(read_only=True) as session:
                differences = await verify(session)
                quotas = list((await session.execute(select(Quota))).scalars())
                pools = list((await session.execute(select(Pool))).scalars())
                pools += list((await session.execute(select(DistrictPool))).scalars())
            return differences, quotas, pools

        differences, quotas, pools = self.loop.run_until_complete(check())
        assert differences == [], [str(d) for d in differences]
        assert all(p.balance >= 0 for p in pools)
        assert all(q.occupied + q.reserved <= q.approved for q in quotas)


def _adjustment(delta: int) -> AdjustmentCreate:
    return AdjustmentCreate(quota_type="bianzhi", delta=delta, document_no="成编", reason="r")


TestPostMovements = PostMovements.TestCase
TestPostMovements.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
pytestmark = pytest.mark.slow
