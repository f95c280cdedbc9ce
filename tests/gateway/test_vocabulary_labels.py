"""The UI names stages, subjects, titles and certificates from contracts.vocabulary, in the
page's language."""

from __future__ import annotations

from contracts import vocabulary
from gateway.ui.labels import SUBJECTS, certificate, label, options
from gateway.ui.render import translator


def test_subject_picker_is_the_vocabulary_in_each_language():
    assert list(vocabulary.SUBJECTS) == SUBJECTS
    zh, en = translator("zh_CN"), translator("en")
    assert label("subject", "体育与健康", zh, "zh_CN") == "体育与健康"
    assert label("subject", "体育与健康", en, "en") == "PE and health"
    assert label("subject", "信息科技", en, "en") == vocabulary.SUBJECT_NAMES_EN["信息科技"]


def test_stage_and_title_options_come_from_the_vocabulary():
    zh, en = translator("zh_CN"), translator("en")
    assert options("stage", zh, "zh_CN") == list(vocabulary.STAGE_NAMES_ZH.items())
    assert [name for _, name in options("stage", en, "en")] == [
        vocabulary.STAGE_NAMES_EN[s] for s in vocabulary.STAGES
    ]
    assert [code for code, _ in options("title", en, "en")] == list(vocabulary.TITLES)
    assert label("title", "一级教师", en, "en") == "First-grade teacher"


def test_values_kept_from_before_the_vocabulary_show_as_stored():
    en = translator("en")
    assert label("subject", "书法", en, "en") == "书法"
    assert label("title", None, en, "en") == ""
    assert certificate("高级中学教师资格证", "en") == "高级中学教师资格证"


def test_a_certificate_reads_as_its_level_and_subject():
    held = {"level": "senior", "subject": "数学"}
    assert certificate(held, "zh_CN") == "高级中学教师资格 · 数学"
    assert certificate(held, "en") == "Senior secondary teacher certificate · Mathematics"
