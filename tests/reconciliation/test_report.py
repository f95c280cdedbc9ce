"""The comparison of the three sides: each kind of disagreement found, with both ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from common.deadletters import ConsumerBacklog, DeadLetter
from contracts.reconciliation import (
    ApplicationRow,
    AssignmentRow,
    OutboxBacklog,
    PostingRow,
    ReservationRow,
    SharingSide,
    StaffingSide,
    StaffRow,
    TalentSide,
    TeacherRow,
)
from gateway.reconciliation.report import compare


def replace(model, **changes):
    return model.model_copy(update=changes)


NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
OLD = NOW - timedelta(hours=1)
SCHOOL, OTHER = uuid.uuid4(), uuid.uuid4()
NONE = OutboxBacklog(unpublished=0)


def agreeing() -> tuple[StaffingSide, SharingSide, TalentSide]:
    """One hire through a posting of two, on the roster and in sharing, teaching elsewhere."""
    posting, application, staff = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    return (
        StaffingSide(
            as_of=NOW,
            outbox=NONE,
            staff=[
                StaffRow(
                    id=staff,
                    unit_id=SCHOOL,
                    status="active",
                    title="一级教师",
                    posting_id=posting,
                    application_id=application,
                    at=OLD,
                )
            ],
            reservations=[
                ReservationRow(
                    posting_id=posting,
                    unit_id=SCHOOL,
                    quota_type="bianzhi",
                    requested=2,
                    held=1,
                    filled=1,
                    status="confirmed",
                    at=OLD,
                )
            ],
        ),
        SharingSide(
            as_of=NOW,
            outbox=NONE,
            teachers=[TeacherRow(id=staff, unit_id=SCHOOL, active=True, title="一级教师", at=OLD)],
            assignments=[
                AssignmentRow(
                    id=uuid.uuid4(),
                    teacher_id=staff,
                    host_unit_id=OTHER,
                    status="active",
                    ends_on=date(2027, 1, 15),
                    at=OLD,
                )
            ],
        ),
        TalentSide(
            as_of=NOW,
            outbox=NONE,
            postings=[
                PostingRow(
                    id=posting,
                    unit_id=SCHOOL,
                    quota_type="bianzhi",
                    count=2,
                    hired=1,
                    status="open",
                    reservation="confirmed",
                    at=OLD,
                )
            ],
            applications=[
                ApplicationRow(
                    id=application, posting_id=posting, status="hired", staff_id=staff, at=OLD
                )
            ],
        ),
    )


def codes(staffing: StaffingSide, sharing: SharingSide, talent: TalentSide, **kw) -> list[str]:
    report = compare(staffing, sharing, talent, now=NOW, **kw)
    return [f"{d.check}/{d.code}" for d in report.discrepancies]


def test_sides_that_agree_report_nothing():
    report = compare(*agreeing(), now=NOW)
    assert report.clean and report.exit_code() == 0


def test_a_hire_with_no_staff_record_names_the_application():
    staffing, sharing, talent = agreeing()
    staffing = replace(staffing, staff=[])
    sharing = replace(sharing, teachers=[], assignments=[])
    report = compare(staffing, sharing, talent, now=NOW)
    found = {d.code: d for d in report.discrepancies}
    assert "hired_without_staff_record" in found
    assert str(talent.applications[0].id) in found["hired_without_staff_record"].left
    assert found["hired_count_differs"].detail == "talent: 1 hired, staffing: 0 staff records"
    assert report.exit_code() == 1


def test_a_staff_record_talent_does_not_know_as_hired():
    staffing, sharing, talent = agreeing()
    talent = replace(
        talent, applications=[replace(talent.applications[0], status="hire_failed", staff_id=None)]
    )
    assert "hires/staff_record_for_unhired" in codes(staffing, sharing, talent)
    talent = replace(talent, applications=[])
    assert "hires/staff_record_without_hire" in codes(staffing, sharing, talent)


def test_reservations_disagree_on_state_count_and_posts_held_after_closing():
    staffing, sharing, talent = agreeing()
    closed = replace(talent.postings[0], status="closed")
    assert "reservations/posts_held_for_closed_posting" in codes(
        staffing, sharing, replace(talent, postings=[closed])
    )
    blocked = replace(talent.postings[0], status="blocked", reservation="rejected")
    assert "reservations/reservation_state_differs" in codes(
        staffing, sharing, replace(talent, postings=[blocked])
    )
    rejected = replace(staffing.reservations[0], status="rejected")
    assert "reservations/reservation_state_differs" in codes(
        replace(staffing, reservations=[rejected]), sharing, talent
    )
    more = replace(staffing.reservations[0], requested=3)
    assert "reservations/count_differs" in codes(
        replace(staffing, reservations=[more]), sharing, talent
    )
    stray = replace(staffing.reservations[0], posting_id=uuid.uuid4())
    assert "reservations/reservation_without_posting" in codes(
        replace(staffing, reservations=[*staffing.reservations, stray]), sharing, talent
    )


def test_the_roster_and_the_profiles_disagree_on_presence_unit_and_title():
    staffing, sharing, talent = agreeing()
    teacher = sharing.teachers[0]
    assert "roster/profile_missing" in codes(staffing, replace(sharing, teachers=[]), talent)
    moved = replace(sharing, teachers=[replace(teacher, unit_id=OTHER)])
    assert "roster/unit_differs" in codes(staffing, moved, talent)
    titled = replace(sharing, teachers=[replace(teacher, title="二级教师")])
    assert "roster/title_differs" in codes(staffing, titled, talent)
    taught = replace(staffing, staff=[replace(staffing.staff[0], subject="数学")])
    assert "roster/subject_missing" in codes(taught, sharing, talent)
    assert "roster/subject_missing" not in codes(
        taught, replace(sharing, teachers=[replace(teacher, subjects=["数学"])]), talent
    )
    stranger = replace(teacher, id=uuid.uuid4())
    assert "roster/profile_active_without_staff" in codes(
        staffing, replace(sharing, teachers=[teacher, stranger]), talent
    )


def test_a_departed_teacher_still_booked_and_still_active_in_sharing():
    staffing, sharing, talent = agreeing()
    left = replace(staffing.staff[0], status="resigned", left_on=date(2026, 12, 1))
    found = codes(replace(staffing, staff=[left]), sharing, talent)
    assert "departures/assignment_after_departure" in found
    assert "roster/profile_active_after_departure" in found


def test_a_disagreement_is_pending_while_events_are_in_flight_and_young():
    staffing, sharing, talent = agreeing()
    young = replace(talent.applications[0], staff_id=None, at=NOW - timedelta(seconds=5))
    talent = replace(talent, applications=[young])
    moving = [ConsumerBacklog(stream="STAFFING", consumer="talent", pending=1, unacked=0)]
    report = compare(staffing, sharing, talent, now=NOW, backlogs=moving)
    (only,) = report.discrepancies
    assert only.code == "staff_record_not_confirmed" and only.pending
    assert report.exit_code() == 2
    idle = compare(staffing, sharing, talent, now=NOW)
    assert not idle.discrepancies[0].pending and idle.exit_code() == 1
    late = compare(staffing, sharing, talent, now=NOW + timedelta(minutes=5), backlogs=moving)
    assert not late.discrepancies[0].pending


def test_outbox_backlog_and_dead_letters_are_listed_per_service():
    staffing, sharing, talent = agreeing()
    staffing = replace(staffing, outbox=OutboxBacklog(unpublished=3, oldest=OLD))
    letter = DeadLetter(
        sequence=7,
        service="staffing",
        reason="handler failed 5 times: Conflict('no reservation for posting')",
        subject="talent.candidate.hired",
        original_stream="TALENT",
        original_sequence=42,
        parked_at=OLD,
        event_id="e1",
        event_type="talent.candidate.hired",
        entity="a1",
        data=b"{}",
    )
    report = compare(staffing, sharing, talent, now=NOW, dead_letters=[letter])
    found = {d.code: d for d in report.discrepancies}
    assert found["unpublished_events"].left == "staffing outbox"
    assert not found["unpublished_events"].pending  # an hour old: the relay is stuck
    assert found["dead_letter"].left == "dlq.staffing #7"
    assert "no reservation" in found["dead_letter"].detail
    assert report.exit_code() == 1


def test_a_control_posting_opened_without_reserving_is_reported_while_open():
    staffing, sharing, talent = agreeing()
    legacy = replace(talent.postings[0], quota_type="control", reservation="not_needed", hired=0)
    talent = replace(talent, postings=[legacy], applications=[])
    staffing = replace(
        staffing, reservations=[], staff=[replace(staffing.staff[0], application_id=None)]
    )
    assert codes(staffing, sharing, talent) == ["reservations/open_without_reservation"]
    closed = replace(talent, postings=[replace(legacy, status="closed")])
    assert codes(staffing, sharing, closed) == []
