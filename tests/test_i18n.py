"""Narration phrase catalogs: complete for every language of the voice table, and used."""

from __future__ import annotations

import polib
import pytest

from pipeline.i18n import CATALOG_DIR, catalog_languages, missing_phrases, phrase_table
from pipeline.models import (
    CheckpointScene,
    CommandScene,
    LearningObjectivesScene,
    QuizScene,
    SolutionScene,
    TitleScene,
    VideoSpec,
)
from pipeline.narration import PHRASES, narrate_scene, script_stage
from pipeline.speech.voices import VOICE_TABLE

ENGLISH = PHRASES["en"]
TRANSLATED = sorted(set(VOICE_TABLE) - {"en"})


def test_every_table_language_has_a_catalog():
    assert catalog_languages() == TRANSLATED


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_complete(language):
    assert missing_phrases(language, ENGLISH) == []
    table = phrase_table(language, ENGLISH)
    assert len(table["numbers"].split()) == 13
    translated = [key for key in ENGLISH if table[key] != ENGLISH[key]]
    assert len(translated) >= len(ENGLISH) - 6, "most phrases differ from English"
    po = polib.pofile(str(CATALOG_DIR / f"{language}.po"))
    assert po.metadata["Language"] == language
    assert po.metadata["X-Machine-Assisted"] == "yes" and "Machine-assisted" in po.header
    assert all(not entry.fuzzy for entry in po)


def test_a_changed_english_phrase_counts_as_missing():
    changed = dict(ENGLISH, quiz_answer="The right answer is {answer}.")
    assert missing_phrases("de", changed) == ["quiz_answer"]
    assert phrase_table("de", changed)["quiz_answer"] == "The right answer is {answer}."
    broken = dict(ENGLISH)
    assert missing_phrases("xx", broken) == list(ENGLISH)  # no catalog at all


def test_rules_narration_speaks_the_language():
    quiz = QuizScene(question="¿Qué devuelve?", options=["una función", "nada"], correct_index=0)
    assert narrate_scene(quiz, language="es") == (
        "¿Qué devuelve? ¿Es una función o nada? La respuesta es una función."
    )
    solution = SolutionScene(title="Lösung", code="print(1)", language="Python")
    assert "Hier ist der Python-Code." in narrate_scene(solution, language="de")
    commands = CommandScene(header="インストール", commands=["pip install a", "pip install b"])
    assert narrate_scene(commands, language="ja") == (
        "インストール。コマンドを二個実行します。最初はpip installです。"
    )
    lesson = LearningObjectivesScene(lesson_title="Урок", objectives=["Понять", "Применить"])
    assert narrate_scene(lesson, language="ru") == "Урок. В этом уроке вы: Понять. Применить."
    checkpoint = CheckpointScene(checkpoint_number=2, completed_topics=["ตัวแปร"])
    assert narrate_scene(checkpoint, language="th") == ("จุดตรวจสอบที่ 2 สิ่งที่เราเรียนมาแล้ว: ตัวแปร")
    spec = VideoSpec(
        title="标题", language="zh-CN", scenes=[TitleScene(title="你好", subtitle="世界")]
    )
    assert script_stage(spec) == ["你好。世界。"]
