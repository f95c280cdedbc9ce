"""The loan check: loans falling due and overdue loans are each announced once, however often."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from common.clock import local_today
from contracts import Envelope
from contracts.staffing import LoanDueApproached, LoanOverdue
from services.staffing.jobs import check_loans
from services.staffing.models import messaging
from services.staffing.settings import StaffingSettings
from tests.staffing.support import Api, staffing
from tests.support import NatsServer

FALLING_DUE = LoanDueApproached.event_type
OVERDUE = LoanOverdue.event_type
WINDOW = StaffingSettings.model_fields["falling_due_days"].default


async def announced(api: Api) -> list[Envelope]:
    """The loan notices in the outbox, oldest first."""
    table = messaging.outbox
    stmt = (
        select(table.c.envelope)
        .where(table.c.type.in_([FALLING_DUE, OVERDUE]))
        .order_by(table.c.created_at, table.c.id)
    )
    async with api.db.session(read_only=True) as session:
        rows = (await session.execute(stmt)).scalars()
        return [Envelope.model_validate_json(row) for row in rows]


async def test_loans_falling_due_and_overdue_are_announced_once_each(
    make_database, identity, nats_server: NatsServer
):
    assert WINDOW == 30
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("D1")
        lender = await api.school(district["id"], "S1", posts=5)
        borrower = await api.school(district["id"], "S2")
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={"unit_id": lender["id"], "count": 3, "document_no": "收储1", "reason": "富余"},
        )
        # Days far from the real date, so the service's own check (at start-up, on the real
        # date) finds none of these loans and only the calls below announce anything.
        today = local_today() + timedelta(days=400)
        soon = (await api.lend(borrower["id"], today + timedelta(days=10)))["loan"]
        later = (await api.lend(district["id"], today + timedelta(days=45)))["loan"]
        repaid = (await api.lend(borrower["id"], today + timedelta(days=5)))["loan"]
        await api.ok(
            "POST", f"/v1/loans/{repaid['id']}/repayments", json={"count": 1, "document_no": "还"}
        )

        assert await check_loans(api.db, today, WINDOW) == (0, 1)
        assert await check_loans(api.db, today, WINDOW) == (0, 0), "announced once"
        (notice,) = await announced(api)
        assert (notice.type, notice.subject) == (FALLING_DUE, soon["id"])
        assert notice.data == {
            "loan_id": soon["id"],
            "unit_id": borrower["id"],
            "district_id": district["id"],
            "quota_type": "bianzhi",
            "outstanding": 1,
            "due_date": (today + timedelta(days=10)).isoformat(),
        }

        # Twenty days on, the first loan is overdue and the district's own loan falls due.
        later_on = today + timedelta(days=20)
        assert await check_loans(api.db, later_on, WINDOW) == (1, 1)
        assert await check_loans(api.db, later_on, WINDOW) == (0, 0), "announced once"
        notices = await announced(api)
        assert sorted((n.type, n.subject) for n in notices[1:]) == [
            (FALLING_DUE, later["id"]),
            (OVERDUE, soon["id"]),
        ]
        by_loan = {n.subject: n.data for n in notices[1:]}
        assert by_loan[later["id"]]["district_id"] == district["id"], "a district is its own"
        assert by_loan[soon["id"]]["due_date"] == (today + timedelta(days=10)).isoformat()

        # Past every due date: the second loan is overdue once; none falls due a second time.
        assert await check_loans(api.db, today + timedelta(days=60), WINDOW) == (1, 0)
        assert await check_loans(api.db, today + timedelta(days=61), WINDOW) == (0, 0)
        notices = await announced(api)
        assert (notices[-1].type, notices[-1].subject) == (OVERDUE, later["id"])
        assert len(notices) == 4
        assert repaid["id"] not in {n.subject for n in notices}, "nothing is owed on a repaid loan"
        loan = await api.ok("GET", f"/v1/loans/{soon['id']}")
        assert loan["overdue_announced_at"]
