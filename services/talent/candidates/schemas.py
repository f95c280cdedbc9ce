"""Request and response models of candidates; personal fields leave masked unless revealed."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.vocabulary import Certificate, StoredCertificate, Title
from services.talent.candidates.identity import birth_date_of, validate_id_number
from services.talent.postings.schemas import Degree, TalentTier

Source = Literal["fair", "website", "referral", "hr"]
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class CandidateProfile(BaseModel):
    """What is not personal information: education, tier, source (certificates and title are
    checked against the shared vocabulary where they come in)."""

    degree: Degree | None = None
    school: str | None = Field(default=None, max_length=120)
    major: str | None = Field(default=None, max_length=120)
    talent_tier: TalentTier | None = None
    source: Source = "website"


class CandidateCreate(CandidateProfile):
    """A person pushed by a partner or entered by HR; a second push of the same ID number
    returns the candidate already known."""

    model_config = ConfigDict(extra="forbid")

    certificates: list[Certificate] = Field(
        default_factory=list,
        max_length=20,
        description="each as {level, subject} or by its written name, as 高中数学教师资格证",
    )
    title: Title | None = None
    name: str = Field(min_length=1, max_length=80)
    id_number: str = Field(description="居民身份证号码, 18 characters (GB 11643)")
    phone: str | None = Field(default=None, description="mainland mobile, 11 digits")
    email: str | None = Field(default=None, max_length=200)
    birth_date: date | None = Field(default=None, description="must agree with the ID number")
    external_id: str | None = Field(default=None, max_length=120)
    consent: bool = Field(description="the person consented to processing (PIPL)")
    retention_until: date | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str) -> str:
        return validate_id_number(value)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace(" ", "").replace("-", "").removeprefix("+86")
        if not _PHONE.match(digits):
            raise ValueError("a mainland mobile number has 11 digits and starts with 13-19")
        return digits

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _EMAIL.match(value.strip()):
            raise ValueError("not an email address")
        return value.strip()

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("personal information is processed only with consent (PIPL)")
        return value

    @model_validator(mode="after")
    def _birth_date_agrees(self) -> CandidateCreate:
        if self.birth_date is not None and self.birth_date != birth_date_of(self.id_number):
            raise ValueError("birth_date does not agree with the ID number")
        return self


class CandidatePublic(CandidateProfile):
    """A candidate with personal fields masked (`5101**********1234`); certificates and title
    kept from before the vocabulary read as stored."""

    certificates: list[StoredCertificate | str]
    title: str | None
    id: uuid.UUID
    name: str | None
    id_number: str | None
    phone: str | None
    email: str | None
    sex: str
    #: Only in whole views: with the masked ID number it would narrow the person down.
    birth_year: int | None
    external_id: str | None = None
    consent_at: datetime
    retention_until: date
    erased_at: datetime | None
    merged_into_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class CandidateWhole(CandidatePublic):
    """A candidate with personal fields whole; every such view is recorded."""

    birth_date: date | None


class CandidateMerge(BaseModel):
    """Fold a duplicate (say, a mistyped ID number) into the candidate to keep."""

    model_config = ConfigDict(extra="forbid")

    keep_id: uuid.UUID
    merge_id: uuid.UUID

    @model_validator(mode="after")
    def _two_candidates(self) -> CandidateMerge:
        if self.keep_id == self.merge_id:
            raise ValueError("a candidate cannot be merged into itself")
        return self


class CandidateErase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["request"] = "request"
