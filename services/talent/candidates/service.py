"""Rules of candidates: one person one candidate, personal fields sealed, erasure on demand."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import PERSONNEL_ROLES, Principal
from common.db import Database, prefixed, utcnow
from common.errors import Forbidden, NotFound
from contracts.talent import CandidateErased
from services.talent.candidates import repository
from services.talent.candidates.identity import (
    birth_date_of,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    sex_of,
)
from services.talent.candidates.schemas import (
    CandidateCreate,
    CandidateMerge,
    CandidatePublic,
    CandidateWhole,
)
from services.talent.errors import ErasedCandidate, SameApplicationTwice
from services.talent.idempotency import Guess, Outcome, forget_resource
from services.talent.models import Candidate, CandidateLink, PiiAccess, outbox
from services.talent.pii import PiiCipher

#: Roles that may see personal fields whole (each view is recorded).
PERSONAL_FIELDS = ("name", "id_number", "phone", "email", "birth_date")


@dataclass(frozen=True, slots=True)
class Pushed:
    candidate_id: uuid.UUID
    created: bool
    #: The record; not read back when a partner's push added the person (nothing needs it).
    candidate: Candidate | None = None
    #: A partner's push: the submission in clear, and its link's external id and creation time.
    sent: dict[str, Any] | None = None
    external_id: str | None = None
    linked_at: datetime | None = None


async def push_candidate(
    session: AsyncSession,
    principal: Principal,
    cipher: PiiCipher,
    data: CandidateCreate,
    *,
    today: date,
    retention_days: int,
) -> Pushed:
    """Add a person, or find the one already known by the same ID number.

    A partner's push is kept as its own submission beside the person: the partner is answered
    from what it sent, so the answer cannot tell whether we knew the person already."""
    if principal.kind == "partner":
        principal.require_scope("candidates:write")
    else:
        principal.require_role(*PERSONNEL_ROLES)
    id_hash = cipher.blind_index(data.id_number)
    row = _sealed(principal, cipher, data, id_hash, today, retention_days)
    known = await _one_person(session, row)
    created = known is None
    candidate_id = row["id"] if known is None else known.id
    if principal.kind != "partner":
        return Pushed(candidate_id, created, known or Candidate(**row))
    link, sent = _submitted(principal, cipher, data, candidate_id, today, retention_days)
    external_id, linked_at = await repository.put_link(session, link)
    return Pushed(candidate_id, created, known, sent, external_id, linked_at)


def guess_new_person(
    principal: Principal,
    cipher: PiiCipher,
    data: CandidateCreate,
    *,
    today: date,
    retention_days: int,
) -> Guess:
    """A partner's push, guessing the person is new: the answer the partner then gets and the
    writes that add the person and the partner's link (`Idempotency.at_once`). When the person
    was known after all, `push_candidate` does the work."""
    principal.require_scope("candidates:write")
    id_hash = cipher.blind_index(data.id_number)
    row = _sealed(principal, cipher, data, id_hash, today, retention_days)
    link, sent = _submitted(principal, cipher, data, row["id"], today, retention_days)
    view = submission_view(row["id"], None, link["external_id"], link["created_at"], sent)
    return Guess(
        Outcome(201, view, row["id"]),
        repository.adding_with_link(tuple(row)),
        prefixed("candidate", row) | prefixed("link", link),
    )


def _submitted(
    principal: Principal,
    cipher: PiiCipher,
    data: CandidateCreate,
    candidate_id: uuid.UUID,
    today: date,
    retention_days: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A partner's link to the candidate (its columns, as a plain record: making a table model's
    instance and reading its columns back were 40 % of a push's guess), its submission sealed
    in it, and that submission."""
    retention_until = data.retention_until or today + timedelta(days=retention_days)
    sent = data.model_dump(mode="json", exclude={"consent", "retention_until"}) | {
        "retention_until": retention_until.isoformat()
    }
    sealed = cipher.encrypt(
        json.dumps(sent), row=_link_row(candidate_id, principal.sub), field=SUBMISSION_FIELD
    )
    link = {
        "partner_id": principal.sub,
        "candidate_id": candidate_id,
        "external_id": data.external_id,
        "submission_enc": sealed,
        "created_at": utcnow(),
    }
    return link, sent


async def _one_person(session: AsyncSession, row: dict[str, Any]) -> Candidate | None:
    """None when `row` was added as a new candidate, or the candidate already known by its ID
    number.

    The insert skips a known person, and on PostgreSQL waits for a concurrent push of the same
    person to commit; the person found may be erased between the two statements (their ID
    number's hash is cleared), and then the insert is tried again."""
    for _ in range(3):
        if await repository.add_unless_known(session, row):
            return None
        known = await repository.by_id_hash(session, row["id_hash"])
        if known is not None:
            return known
    raise AssertionError("the person was neither added nor found")


SUBMISSION_FIELD = "candidate_link.submission"


def _link_row(candidate_id: uuid.UUID, partner_id: str) -> str:
    """What a submission is sealed to: its link's row."""
    return f"{candidate_id}:{partner_id}"


def _sealed(
    principal: Principal,
    cipher: PiiCipher,
    data: CandidateCreate,
    id_hash: str,
    today: date,
    retention_days: int,
) -> dict[str, Any]:
    """The new candidate's row: personal fields sealed to it, the rest as sent."""
    candidate_id = uuid.uuid4()
    born = birth_date_of(data.id_number)
    assert born is not None  # the schema validated the number
    now = utcnow()

    def seal(field: str, value: str | None) -> str | None:
        return cipher.encrypt(value, row=candidate_id, field=f"candidate.{field}")

    return dict(
        id=candidate_id,
        id_hash=id_hash,
        name_enc=seal("name", data.name),
        id_number_enc=seal("id_number", data.id_number),
        phone_enc=seal("phone", data.phone),
        email_enc=seal("email", data.email),
        birth_date_enc=seal("birth_date", born.isoformat()),
        sex=sex_of(data.id_number),
        birth_year=born.year,
        degree=data.degree,
        school=data.school,
        major=data.major,
        certificates=[c.model_dump() for c in data.certificates],
        title=data.title,
        talent_tier=data.talent_tier,
        source=data.source,
        consent_at=now,
        retention_until=data.retention_until or today + timedelta(days=retention_days),
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )


async def visible_candidate(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> Candidate:
    if principal.kind == "partner":
        principal.require_scope("candidates:write")
    stmt = repository.visible(principal).where(col(Candidate.id) == candidate_id)
    candidate = (await session.execute(stmt)).scalar_one_or_none()
    if candidate is None:
        raise NotFound("no such candidate in your scope")
    return candidate


def personal(cipher: PiiCipher, candidate: Candidate) -> dict[str, str | None]:
    """The candidate's personal fields in clear."""
    return {
        field: cipher.decrypt(
            getattr(candidate, f"{field}_enc"), row=candidate.id, field=f"candidate.{field}"
        )
        for field in PERSONAL_FIELDS
    }


def masked(
    cipher: PiiCipher, candidate: Candidate, external_id: str | None = None
) -> CandidatePublic:
    clear = personal(cipher, candidate)
    return CandidatePublic(
        **(_profile(candidate) | {"birth_year": None}),
        name=mask_name(clear["name"]),
        id_number=mask_id_number(clear["id_number"]),
        phone=mask_phone(clear["phone"]),
        email=mask_email(clear["email"]),
        external_id=external_id,
    )


def partner_view(
    cipher: PiiCipher,
    candidate: Candidate,
    link: CandidateLink | None,
    *,
    erased_at: datetime | None = None,
) -> CandidatePublic:
    """What a partner sees of a candidate: its own submission, masked, and nothing another
    source sent. Links made before submissions were kept show the stored record."""
    if link is None or link.submission_enc is None or erased_at is not None:
        view = masked(cipher, candidate, link.external_id if link else None)
        if erased_at is None:
            return view
        gone = dict.fromkeys(("name", "id_number", "phone", "email"))
        return view.model_copy(update=gone | {"erased_at": erased_at, "updated_at": erased_at})
    row = _link_row(link.candidate_id, link.partner_id)
    clear = cipher.decrypt(link.submission_enc, row=row, field=SUBMISSION_FIELD)
    assert clear is not None
    return submission_view(
        candidate.id, candidate.erased_at, link.external_id, link.created_at, json.loads(clear)
    )


def submission_view(
    candidate_id: uuid.UUID,
    erased_at: datetime | None,
    external_id: str | None,
    linked_at: datetime,
    sent: dict[str, Any],
) -> CandidatePublic:
    """A partner's own submission about `candidate`, masked, as the partner is shown it."""
    born = birth_date_of(sent["id_number"])
    assert born is not None
    return CandidatePublic(
        id=candidate_id,
        degree=sent.get("degree"),
        school=sent.get("school"),
        major=sent.get("major"),
        certificates=sent.get("certificates") or [],
        title=sent.get("title"),
        talent_tier=sent.get("talent_tier"),
        source=sent.get("source") or "website",
        name=mask_name(sent["name"]),
        id_number=mask_id_number(sent["id_number"]),
        phone=mask_phone(sent.get("phone")),
        email=mask_email(sent.get("email")),
        sex=sex_of(sent["id_number"]),
        birth_year=None,
        external_id=external_id,
        consent_at=linked_at,
        retention_until=date.fromisoformat(sent["retention_until"]),
        erased_at=erased_at,
        merged_into_id=None,
        created_at=linked_at,
        updated_at=linked_at,
    )


async def reveal(
    db: Database,
    principal: Principal,
    cipher: PiiCipher,
    candidate: Candidate,
    purpose: str | None,
) -> CandidateWhole:
    """The personal fields whole, for roles allowed to see them.

    The view is recorded in a transaction of its own that commits before the data leaves:
    reads run in read-only sessions, and a view must never go unrecorded.
    """
    if principal.kind == "partner" or principal.role not in PERSONNEL_ROLES:
        raise Forbidden("your role may not see personal information whole")
    clear = personal(cipher, candidate)
    async with db.session() as session:
        session.add(
            PiiAccess(
                candidate_id=candidate.id, actor=principal.sub, role=principal.role, purpose=purpose
            )
        )
    born = clear.pop("birth_date")
    return CandidateWhole(
        **_profile(candidate), **clear, birth_date=date.fromisoformat(born) if born else None
    )


def _profile(candidate: Candidate) -> dict[str, object]:
    return {
        field: getattr(candidate, field)
        for field in (
            "id",
            "degree",
            "school",
            "major",
            "certificates",
            "title",
            "talent_tier",
            "source",
            "sex",
            "birth_year",
            "consent_at",
            "retention_until",
            "erased_at",
            "merged_into_id",
            "created_at",
            "updated_at",
        )
    }


@dataclass(frozen=True, slots=True)
class Erased:
    candidate: Candidate
    #: A partner's submission that was removed while the person stays for other sources.
    submission: CandidateLink | None = None


async def request_erasure(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> Erased:
    """Erase on the person's request: HR erases the person and every submission; a partner
    erases its own submission, and the person too only when no other source holds them."""
    if principal.kind != "partner":
        principal.require_role(*PERSONNEL_ROLES)
    candidate = await visible_candidate(session, principal, candidate_id)
    if candidate.erased_at is not None:
        return Erased(candidate)
    if principal.kind == "partner":
        links = await repository.links_of(session, candidate.id)
        own = next(link for link in links if link.partner_id == principal.sub)
        others = [link for link in links if link.partner_id != principal.sub]
        entered_by_staff = not candidate.created_by.startswith("partner:")
        if others or entered_by_staff:
            await session.delete(own)
            await session.flush()
            return Erased(candidate, own)
    return Erased(await erase(session, candidate, "request"))


async def erase(session: AsyncSession, candidate: Candidate, reason: str) -> Candidate:
    """Anonymise the personal fields (PIPL); statistics (sex, birth year, education) stay."""
    for field in PERSONAL_FIELDS:
        setattr(candidate, f"{field}_enc", None)
    candidate.id_hash = None
    candidate.erased_at = candidate.updated_at = utcnow()
    candidate.erased_reason = reason
    for link in await repository.links_of(session, candidate.id):
        link.submission_enc = None
    await forget_resource(session, candidate.id)
    await session.flush()
    await outbox.add(
        session,
        CandidateErased(candidate_id=candidate.id, reason=reason),
        subject=str(candidate.id),
    )
    return candidate


async def erase_expired(session: AsyncSession, today: date, limit: int = 200) -> int:
    """Erase candidates whose retention ended before `today`; how many were erased."""
    due = await repository.retention_ended(session, today, limit)
    for candidate in due:
        await erase(session, candidate, "retention")
    return len(due)


async def merge(
    session: AsyncSession, principal: Principal, cipher: PiiCipher, data: CandidateMerge
) -> Candidate:
    """Move the duplicate's applications and partner links to the kept candidate, then erase
    the duplicate, pointing it at the one kept."""
    principal.require_role(*PERSONNEL_ROLES)
    keep = await visible_candidate(session, principal, data.keep_id)
    duplicate = await visible_candidate(session, principal, data.merge_id)
    if keep.erased_at is not None or duplicate.erased_at is not None:
        raise ErasedCandidate("an erased candidate cannot be merged")
    kept_postings = {a.posting_id for a in await repository.applications_of(session, keep.id)}
    moving = await repository.applications_of(session, duplicate.id)
    clash = [str(a.posting_id) for a in moving if a.posting_id in kept_postings]
    if clash:
        raise SameApplicationTwice(
            "both candidates applied to the same posting; withdraw one application first",
            extra={"posting_ids": clash},
        )
    for application in moving:
        application.candidate_id = keep.id
        application.updated_at = utcnow()
    for found in await repository.links_of(session, duplicate.id):
        if await repository.link(session, found.partner_id, keep.id) is None:
            moved = CandidateLink(
                partner_id=found.partner_id, candidate_id=keep.id, external_id=found.external_id
            )
            # The submission is sealed to its row: open it under the old link, seal it anew.
            sent = cipher.decrypt(
                found.submission_enc,
                row=_link_row(found.candidate_id, found.partner_id),
                field=SUBMISSION_FIELD,
            )
            moved.submission_enc = cipher.encrypt(
                sent, row=_link_row(moved.candidate_id, moved.partner_id), field=SUBMISSION_FIELD
            )
            session.add(moved)
        await session.delete(found)
    await session.flush()
    duplicate.merged_into_id = keep.id
    await erase(session, duplicate, "merged")
    keep.updated_at = utcnow()
    return keep
