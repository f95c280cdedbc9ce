"""Each service's vocabulary migration maps stored rows onto contracts.vocabulary, and keeps
(and logs) what it cannot map."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from common.db import Database
from common.migrations import alembic_config, upgrade

#: The vocabulary migration of each service.
STEPS = {"staffing": "0008", "sharing": "0006", "talent": "0005"}


async def before_vocabulary(databases, backend: str, service: str) -> Database:
    url = await databases.empty(service, backend)
    script = ScriptDirectory.from_config(alembic_config(service, url))
    revision = script.get_revision(STEPS[service])
    assert revision is not None and "vocabulary" in (revision.doc or "")
    await asyncio.to_thread(upgrade, service, url, str(revision.down_revision))
    return Database(url)


async def to_vocabulary(db: Database, service: str) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, service, url, STEPS[service])


def _filler(column: sa.Column[Any]) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    if kind is uuid.UUID or column.name == "id" or column.name.endswith("_id"):
        return uuid.uuid4()
    return {
        int: 0,
        float: 0.0,
        bool: False,
        date: date(2026, 9, 1),
        datetime: datetime(2026, 9, 1, 8, 0),
        bytes: b"x",
        dict: {},
        list: [],
    }.get(kind, "x")


def _bind(column: sa.Column[Any], value: Any) -> Any:
    if isinstance(value, uuid.UUID) and column.type.python_type is str:
        return value.hex
    return value


async def insert(db: Database, table_name: str, **values: Any) -> None:
    """One row with the given values; every other required column gets a plain filler."""
    async with db.engine.begin() as conn:
        table = await conn.run_sync(lambda c: sa.Table(table_name, sa.MetaData(), autoload_with=c))
        row = {}
        for column in table.columns:
            if column.name in values:
                row[column.name] = _bind(column, values[column.name])
            elif not column.nullable and column.server_default is None:
                row[column.name] = _bind(column, _filler(column))
        await conn.execute(table.insert().values(**row))


async def rows(db: Database, name: str, *columns: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        table = await conn.run_sync(lambda c: sa.Table(name, sa.MetaData(), autoload_with=c))
        found = await conn.execute(sa.select(*(table.c[c] for c in columns)))
        return sorted((tuple(r) for r in found.all()), key=repr)


async def test_staffing_roster_maps_onto_the_vocabulary(databases, backend, caplog):
    db = await before_vocabulary(databases, backend, "staffing")
    try:
        unit = uuid.uuid4()
        await insert(
            db, "units", id=unit, kind="school", code="S1", name="一小", stages=["primary"]
        )
        for subject, stage, title in (
            ("体育", "primary", "小学高级"),
            ("信息技术", "junior", "中学高级"),
            ("信息技术", "senior", "一级教师"),
            ("政治", "senior", None),
            ("书法", "primary", "特级教师"),
        ):
            staff_id = uuid.uuid4()
            await insert(
                db, "staff", id=staff_id, unit_id=unit, subject=subject, stage=stage, title=title
            )
            if title is not None:
                await insert(db, "staff_titles", staff_id=staff_id, title=title)
        with caplog.at_level(logging.WARNING):
            await to_vocabulary(db, "staffing")
        assert await rows(db, "staff", "subject", "stage", "title") == sorted(
            [
                ("体育与健康", "primary", "一级教师"),
                ("信息科技", "junior", "高级教师"),
                ("信息技术", "senior", "一级教师"),
                ("思想政治", "senior", None),
                ("书法", "primary", "特级教师"),
            ],
            key=repr,
        )
        assert sorted(t for (t,) in await rows(db, "staff_titles", "title")) == sorted(
            ["一级教师", "高级教师", "一级教师", "特级教师"]
        )
        kept = [r.getMessage() for r in caplog.records if "left as it is" in r.getMessage()]
        assert any("书法" in m for m in kept) and any("特级教师" in m for m in kept)
    finally:
        await db.dispose()


async def test_sharing_profiles_requests_and_rates_map_onto_the_vocabulary(
    databases, backend, caplog
):
    db = await before_vocabulary(databases, backend, "sharing")
    try:
        teacher = uuid.uuid4()
        await insert(
            db,
            "teachers",
            id=teacher,
            title="中学一级",
            subjects=["体育", "信息技术"],
            stages=["primary", "junior"],
            certificates=[
                {"stage": "primary", "subject": "体育"},
                {"stage": "junior", "subject": "信息技术"},
                {"stage": "primary", "subject": "书法"},
            ],
            offered=[["体育", "primary"], ["信息技术", "junior"]],
            title_history=[
                {"title": "小学一级", "effective_from": "2019-09-01"},
                {"title": "中学一级", "effective_from": "2024-09-01"},
            ],
        )
        await insert(db, "requests", subject="信息技术", stage="junior")
        await insert(db, "period_rates", effective_from=date(2026, 9, 1), title="中学高级")
        await insert(db, "period_rates", effective_from=date(2026, 9, 1), title="小学高级")
        await insert(db, "period_rates", effective_from=date(2026, 9, 1), title="一级教师")
        with caplog.at_level(logging.WARNING):
            await to_vocabulary(db, "sharing")
        ((title, subjects, certificates, offered),) = await rows(
            db, "teachers", "title", "subjects", "certificates", "offered"
        )
        assert offered == [["体育与健康", "primary"], ["信息科技", "junior"]]
        ((history,),) = await rows(db, "teachers", "title_history")
        assert [h["title"] for h in history] == ["二级教师", "一级教师"]
        assert title == "一级教师"
        assert subjects == ["体育与健康", "信息科技"]
        assert certificates == [
            {"level": "primary", "subject": "体育与健康"},
            {"level": "junior", "subject": "信息科技"},
            {"level": "primary", "subject": "书法"},
        ]
        assert await rows(db, "requests", "subject", "stage") == [("信息科技", "junior")]
        # 小学高级 is 一级教师, which already has a rate from that date: both are kept.
        rates = await rows(db, "period_rates", "effective_from", "title")
        assert sorted(t for on, t in rates if on == date(2026, 9, 1)) == sorted(
            ["高级教师", "小学高级", "一级教师"]
        )
        assert any("书法" in r.getMessage() for r in caplog.records)
    finally:
        await db.dispose()


async def test_talent_postings_and_candidates_map_onto_the_vocabulary(databases, backend):
    db = await before_vocabulary(databases, backend, "talent")
    try:
        await insert(
            db,
            "postings",
            subject="信息技术",
            stage="junior",
            requirements={"degree": "bachelor", "certificate": "信息技术教师资格证"},
        )
        await insert(
            db,
            "candidates",
            title="中学高级",
            certificates=["高中数学教师资格证", "高级中学教师资格证"],
        )
        await to_vocabulary(db, "talent")
        ((subject, requirements),) = await rows(db, "postings", "subject", "requirements")
        assert subject == "信息科技"
        assert requirements == {"degree": "bachelor", "certificate": "junior"}
        ((title, certificates),) = await rows(db, "candidates", "title", "certificates")
        assert title == "高级教师"
        assert certificates == [{"level": "senior", "subject": "数学"}, "高级中学教师资格证"]
    finally:
        await db.dispose()
