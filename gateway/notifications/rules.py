"""The table of rules: which event tells whom what, in zh-CN and English, and where to act.

Recipients are named by scope (a teacher, a school's admins, the HR of a unit's district, the
commission, city HR), so a rule can only ever reach people whose scope holds the object.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts import sharing, staffing, talent
from contracts.base import Event

QUOTA_NAMES = {
    "bianzhi": ("编制", "established posts"),
    "yuan_e": ("员额", "contract headcount"),
    "control": ("控制数", "control numbers"),
}


@dataclass(frozen=True, slots=True)
class Audience:
    """Users of one role within one scope: `unit_id` is a school (admins) or any unit (HR)."""

    role: str
    unit_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None
    sub: str | None = None


def user(sub: str) -> Audience:
    """The one account behind `sub` (`user:<username>`), whatever its role."""
    return Audience("user", sub=sub)


def teacher(teacher_id: uuid.UUID) -> Audience:
    return Audience("teacher", teacher_id=teacher_id)


def school_admins(unit_id: uuid.UUID) -> Audience:
    return Audience("school_admin", unit_id=unit_id)


def district_hr(unit_id: uuid.UUID) -> Audience:
    """HR of the district that is, or holds, `unit_id`."""
    return Audience("district_hr", unit_id=unit_id)


COMMISSION = Audience("staffing_commission")
CITY_HR = Audience("city_hr")


@dataclass(frozen=True, slots=True)
class Message:
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    link: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of notification made from one event type, for some audiences."""

    event_type: str
    kind: str
    audiences: Callable[[Any], list[Audience]]
    message: Callable[[Any], Message]
    applies: Callable[[Any], bool] = lambda _event: True


def _quota(code: str) -> tuple[str, str]:
    return QUOTA_NAMES.get(code, (code, code))


def _offer_received(e: sharing.OfferSent) -> Message:
    return Message(
        "您收到一个共享任教邀约",
        "You have an offer to teach at another school",
        f"派出学校同意后即可接受或谢绝。邀约截止：{e.expires_at}。",
        f"Once your school consents you can accept or decline it. It expires {e.expires_at}.",
        f"/sharing/offers/{e.offer_id}",
    )


def _consent_requested(e: sharing.OfferSent) -> Message:
    return Message(
        "本校教师收到共享邀约，待您同意",
        "Your consent is needed for a shared teacher",
        f"本校一位教师收到走教/共享邀约，请在 {e.expires_at} 前同意或拒绝外派。",
        f"A teacher of your school was offered a shared post; consent or refuse by {e.expires_at}.",
        f"/sharing/offers/{e.offer_id}",
    )


def _consented_hr(e: sharing.OfferConsented) -> Message:
    return Message(
        "派出学校已同意外派",
        "The home school consented",
        "派出学校同意了共享邀约，等待教师接受。",
        "The home school consented to the offer; the teacher may now accept it.",
        f"/sharing/offers/{e.offer_id}",
    )


def _consented_teacher(e: sharing.OfferConsented) -> Message:
    return Message(
        "学校已同意，请答复邀约",
        "Your school consented: please answer the offer",
        "您所在学校同意了共享邀约，请接受或谢绝。",
        "Your school consented to the offer; please accept or decline it.",
        f"/sharing/offers/{e.offer_id}",
    )


def _refused_hr(e: sharing.OfferConsented) -> Message:
    reason = e.reason or "—"
    return Message(
        "派出学校不同意外派",
        "The home school refused",
        f"派出学校拒绝了共享邀约（理由：{reason}），请另选教师。",
        f"The home school refused the offer (reason: {reason}); choose another teacher.",
        f"/sharing/requests/{e.request_id}",
    )


def _application_submitted(e: staffing.ApplicationSubmitted) -> Message:
    zh, en = _quota(e.quota_type)
    return Message(
        "新的周转池用编申请",
        "A new application to the staffing pool",
        f"申请 {e.requested} 个{zh}，期限 {e.term_years} 年，预计自然减员 {e.forecast_attrition}。",
        f"{e.requested} {en} requested for {e.term_years} years; "
        f"expected attrition {e.forecast_attrition}.",
        f"/pool/applications/{e.application_id}",
    )


OUTCOMES = {
    "approved": ("用编申请已批准", "Pool application approved"),
    "partially_approved": ("用编申请部分批准", "Pool application approved in part"),
    "rejected": ("用编申请未获批准", "Pool application rejected"),
}


def _application_decided(e: staffing.ApplicationDecided) -> Message:
    title_zh, title_en = OUTCOMES[e.outcome]
    zh, en = _quota(e.quota_type)
    return Message(
        title_zh,
        title_en,
        f"申请 {e.requested} 个{zh}，核准 {e.granted} 个。{e.reason}",
        f"{e.requested} {en} requested, {e.granted} granted. {e.reason}",
        f"/pool/applications/{e.application_id}",
    )


def _loan_overdue(e: staffing.LoanOverdue) -> Message:
    zh, en = _quota(e.quota_type)
    return Message(
        "借用的周转编制已逾期",
        "Borrowed posts are overdue",
        f"{e.outstanding} 个{zh}于 {e.due_date} 到期，尚未归还（有借有还）。",
        f"{e.outstanding} borrowed {en} fell due on {e.due_date} and are not yet repaid.",
        f"/pool/loans/{e.loan_id}",
    )


def _loan_falling_due(e: staffing.LoanDueApproached) -> Message:
    zh, en = _quota(e.quota_type)
    return Message(
        "借用的周转编制即将到期",
        "Borrowed posts fall due soon",
        f"{e.outstanding} 个{zh}将于 {e.due_date} 到期，请按期归还（有借有还）。",
        f"{e.outstanding} borrowed {en} fall due on {e.due_date}; plan to repay them in time.",
        f"/pool/loans/{e.loan_id}",
    )


def _posting_blocked(e: talent.PostingBlocked) -> Message:
    zh, en = _quota(e.quota_type)
    return Message(
        "招聘岗位因缺编未能发布",
        "A posting is blocked for lack of posts",
        f"无法为该岗位预留{zh}：{e.reason}。可向编制周转池申请。",
        f"No {en} could be held for the posting: {e.reason}. You may apply to the pool.",
        f"/talent/postings/{e.posting_id}",
    )


HIRE_FAILURES = {
    "no_reservation": ("岗位未预留编制", "no posts are held for the posting"),
    "no_vacancy": ("单位无空编", "the unit has no vacant post"),
    "no_quota": ("单位无此类编制", "the unit has no posts of this quota type"),
    "unit_unknown": ("编制系统无此单位", "staffing does not know the unit"),
    "unit_closed": ("单位已撤销", "the unit is closed"),
    "invalid": ("信息不符", "staffing refused the record"),
}


def _hire_failed(e: talent.HireFailed) -> Message:
    zh, en = HIRE_FAILURES.get(e.code, (e.code, e.code))
    return Message(
        "录用未能入编，待处理",
        "A hire could not be recorded on the roster",
        f"编制系统未能将录用人员列入实名制名册（{zh}）：{e.reason}。问题解决后可重新录用。",
        f"Staffing could not put the hired candidate on the roster ({en}): {e.reason}. "
        "Retry the hire once the cause is fixed.",
        f"/talent/applications/{e.application_id}",
    )


def _hire_failed_audience(e: talent.HireFailed) -> list[Audience]:
    """The HR user who moved it to hired; the unit's district HR when no user did."""
    if e.requested_by and e.requested_by.startswith("user:"):
        return [user(e.requested_by)]
    return [district_hr(e.unit_id)]


def _teacher_left(e: sharing.AssignmentEnded) -> Message:
    return Message(
        "共享教师已离岗，课程已终止",
        "A shared teacher left: their lessons end",
        f"承担本校共享课程的教师已离开原单位（{e.reason}），{e.ends_on} 之后的课程已取消，"
        "需求已重新开放，请另选教师。",
        f"The teacher sharing lessons with your school left their school ({e.reason}); lessons "
        f"after {e.ends_on} are cancelled and the request is open again for another teacher.",
        f"/sharing/requests/{e.request_id}",
    )


def _webhook_disabled(e: talent.WebhookDisabled) -> Message:
    return Message(
        "合作方的 Webhook 地址已停用",
        "A partner's webhook endpoint was disabled",
        f"合作方 {e.partner_id} 在 {e.host} 的接收地址多次投递失败，已自动停用，"
        f"需合作方修复后重新启用。{e.reason}",
        f"Deliveries to partner {e.partner_id} at {e.host} kept failing, so the endpoint was "
        f"disabled until the partner fixes and re-enables it. {e.reason}",
        f"/talent/webhooks?endpoint={e.endpoint_id}",
    )


def _settlement_issued(e: sharing.SettlementIssued) -> Message:
    amount = f"{e.total_cents / 100:.2f}"
    return Message(
        f"{e.month} 课时补贴已发放",
        f"Your period pay for {e.month} was issued",
        f"共 {e.periods} 节（调整 {e.adjustment_periods} 节），合计 ¥{amount}。",
        f"{e.periods} periods ({e.adjustment_periods} adjusted), ¥{amount} in all.",
        f"/sharing/settlements/{e.settlement_id}",
    )


def _library_applied(e: sharing.LibraryApplied) -> Message:
    return Message(
        "本校教师申请加入共享教师库，待您同意",
        "A teacher of your school applied to the sharing library",
        "请查看申请的学科、学段与每周课时上限，同意或退回（须说明理由）。",
        "Check the subjects, stages and weekly cap, then consent or return it with a reason.",
        f"/school/library#application-{e.application_id}",
    )


def _library_to_review(e: sharing.LibraryConsented) -> Message:
    return Message(
        "共享教师入库申请待审核",
        "A library application awaits your review",
        "派出学校已同意一位教师的入库申请，请审核通过或退回。",
        "The home school consented to a library application; approve it or return it.",
        f"/sharing/library#application-{e.application_id}",
    )


def _library_returned_by_school(e: sharing.LibraryConsented) -> Message:
    return Message(
        "学校退回了您的入库申请",
        "Your school returned your library application",
        f"理由：{e.reason or '—'}",
        f"Reason: {e.reason or '—'}",
        "/teacher/library",
    )


def _library_decided(e: sharing.LibraryDecided) -> Message:
    if e.approved:
        return Message(
            "您已入库共享教师库",
            "You are listed in the sharing library",
            "区县人事部门审核通过，您的档案已可参与匹配。",
            "District HR approved your application; your profile is now listed for matching.",
            "/teacher/library",
        )
    return Message(
        "入库申请被退回",
        "Your library application was returned",
        f"理由：{e.reason or '—'}",
        f"Reason: {e.reason or '—'}",
        "/teacher/library",
    )


def _rescheduled(e: sharing.LessonsRescheduled) -> Message:
    added = "、".join(d.isoformat() for d in e.added) or "—"
    removed = "、".join(d.isoformat() for d in e.removed) or "—"
    return Message(
        "校历调整，共享课时已重新安排",
        "A calendar change moved shared lessons",
        f"{e.reason}。新增上课日：{added}；取消：{removed}。",
        f"{e.reason}. Lessons added on: {added}; dropped on: {removed}.",
        "/sharing/lessons",
    )


def _move_proposed(e: sharing.LessonMoveProposed) -> Message:
    by_zh, by_en = (
        ("授课教师", "The shared teacher")
        if e.proposed_by == "teacher"
        else (
            "接收学校",
            "The host school",
        )
    )
    return Message(
        "有一节共享课申请调课，请确认",
        "A shared lesson move waits for your answer",
        f"{by_zh}提议把 {e.from_date.isoformat()} 第 {e.from_period} 节调到 "
        f"{e.to_date.isoformat()} 第 {e.to_period} 节：{e.reason}",
        f"{by_en} proposes moving the lesson of {e.from_date.isoformat()}, period "
        f"{e.from_period}, to {e.to_date.isoformat()}, period {e.to_period}: {e.reason}",
        "/sharing/lessons",
    )


_MOVE_ANSWERS = {
    "accepted": ("已同意", "accepted"),
    "declined": ("未同意", "declined"),
    "withdrawn": ("已撤回", "withdrawn"),
}


def _move_answered(e: sharing.LessonMoveAnswered) -> Message:
    zh, en = _MOVE_ANSWERS[e.status]
    return Message(
        f"调课申请{zh}",
        f"Lesson move {en}",
        f"{e.from_date.isoformat()} 第 {e.from_period} 节调到 {e.to_date.isoformat()} "
        f"第 {e.to_period} 节的申请{zh}。",
        f"The move of the lesson of {e.from_date.isoformat()}, period {e.from_period}, to "
        f"{e.to_date.isoformat()}, period {e.to_period}, was {en}.",
        "/sharing/lessons",
    )


def _evaluated(e: sharing.TeacherEvaluated) -> Message:
    return Message(
        "接收学校完成了共享教学考核评价",
        "The host school evaluated the shared teaching",
        f"平均得分 {e.mean:.2f}（满分 5 分）。教师可查看并回复。",
        f"Mean score {e.mean:.2f} of 5. The teacher may read it and respond.",
        "/sharing/evaluations",
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "sharing.teacher.evaluated",
        "teacher_evaluated",
        lambda e: [teacher(e.teacher_id), school_admins(e.home_unit_id)],
        _evaluated,
    ),
    Rule(
        "sharing.lessons.rescheduled",
        "lessons_rescheduled",
        lambda e: [teacher(e.teacher_id), school_admins(e.host_unit_id)],
        _rescheduled,
    ),
    Rule(
        "sharing.lesson.move_proposed",
        "lesson_move_proposed",
        lambda e: (
            [school_admins(e.host_unit_id)]
            if e.proposed_by == "teacher"
            else [teacher(e.teacher_id)]
        ),
        _move_proposed,
    ),
    Rule(
        "sharing.lesson.move_answered",
        "lesson_move_answered",
        lambda e: [teacher(e.teacher_id), school_admins(e.host_unit_id)],
        _move_answered,
    ),
    Rule(
        "sharing.library.applied",
        "library_applied",
        lambda e: [school_admins(e.unit_id)],
        _library_applied,
    ),
    Rule(
        "sharing.library.consented",
        "library_to_review",
        lambda e: [district_hr(e.unit_id)],
        _library_to_review,
        applies=lambda e: e.consented,
    ),
    Rule(
        "sharing.library.consented",
        "library_returned",
        lambda e: [teacher(e.teacher_id)],
        _library_returned_by_school,
        applies=lambda e: not e.consented,
    ),
    Rule(
        "sharing.library.decided",
        "library_decided",
        lambda e: [teacher(e.teacher_id)],
        _library_decided,
    ),
    Rule(
        "sharing.offer.sent",
        "offer_received",
        lambda e: [teacher(e.teacher_id)],
        _offer_received,
    ),
    Rule(
        "sharing.offer.sent",
        "offer_consent_requested",
        lambda e: [school_admins(e.home_unit_id)],
        _consent_requested,
    ),
    Rule(
        "sharing.offer.consented",
        "offer_consented",
        lambda e: [district_hr(e.host_unit_id)],
        _consented_hr,
        applies=lambda e: e.consented,
    ),
    Rule(
        "sharing.offer.consented",
        "offer_consented_teacher",
        lambda e: [teacher(e.teacher_id)],
        _consented_teacher,
        applies=lambda e: e.consented,
    ),
    Rule(
        "sharing.offer.consented",
        "offer_refused",
        lambda e: [district_hr(e.host_unit_id)],
        _refused_hr,
        applies=lambda e: not e.consented,
    ),
    Rule(
        "staffing.application.submitted",
        "application_submitted",
        lambda e: [COMMISSION],
        _application_submitted,
    ),
    Rule(
        "staffing.application.decided",
        "application_decided",
        lambda e: [district_hr(e.unit_id)],
        _application_decided,
    ),
    Rule(
        "staffing.loan.overdue",
        "loan_overdue",
        lambda e: [district_hr(e.unit_id)],
        _loan_overdue,
    ),
    Rule(
        "staffing.loan.due_approached",
        "loan_falling_due",
        # The event names the district; the unit alone serves when staffing could not.
        lambda e: [district_hr(e.district_id or e.unit_id)],
        _loan_falling_due,
    ),
    Rule(
        "talent.posting.blocked",
        "posting_blocked",
        lambda e: [district_hr(e.unit_id)],
        _posting_blocked,
    ),
    Rule("talent.hire.failed", "hire_failed", _hire_failed_audience, _hire_failed),
    Rule(
        "sharing.assignment.ended",
        "shared_teacher_left",
        lambda e: [school_admins(e.host_unit_id), district_hr(e.host_unit_id)],
        _teacher_left,
        applies=lambda e: e.cause == "teacher_left",
    ),
    Rule(
        "talent.webhook.disabled",
        "webhook_disabled",
        lambda e: [CITY_HR],
        _webhook_disabled,
    ),
    Rule(
        "sharing.settlement.issued",
        "settlement_issued",
        lambda e: [teacher(e.teacher_id)],
        _settlement_issued,
    ),
)


def rules_for(event: Event) -> list[Rule]:
    """The rules that apply to this event."""
    return [r for r in RULES if r.event_type == event.event_type and r.applies(event)]
