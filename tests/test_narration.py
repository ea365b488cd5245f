"""Narration rules: generated narration per scene type, cleaning for speech, the script."""

from __future__ import annotations

import pytest

from pipeline.models import (
    MAX_NARRATION_TEXT,
    AdScene,
    CheckpointScene,
    ClipScene,
    CodeComparisonScene,
    CommandScene,
    ExerciseScene,
    LearningObjectivesScene,
    ListScene,
    OutroScene,
    ProblemScene,
    QuizScene,
    QuoteScene,
    SolutionScene,
    TitleScene,
    VideoSpec,
)
from pipeline.narration import PHRASES, clean_for_speech, narrate_scene, script_stage
from pipeline.timeline import revealable_items

FORBIDDEN = ("$", "{", "}", "http", "`", "**", "<", ">", "#")

SCENES = [
    (
        TitleScene(title="Video Studio", subtitle="From docs to video"),
        ["Video Studio", "From docs to video"],
    ),
    (
        ListScene(
            header="Key Features",
            items=[{"title": "Fast", "description": "very quick"}, {"title": "Offline"}],
        ),
        ["Key Features", "Fast: very quick", "Offline"],
    ),
    (
        CommandScene(
            header="Quick Start",
            description="Get going",
            commands=["$ tool install feature", "$ tool init", "$ tool run {x}"],
        ),
        ["Quick Start", "Get going", "Run three commands, starting with tool install."],
    ),
    (
        CodeComparisonScene(
            header="Refactor",
            before_code="def f(x): return {x: 1}",
            after_code="f = dict.fromkeys",
            before_label="Original",
            after_label="Refactored",
            improvement="Shorter",
        ),
        ["Refactor", "the original version", "the refactored version", "Shorter"],
    ),
    (
        QuoteScene(quote_text="Simple is better.", attribution="Tim Peters"),
        ["Simple is better, as Tim Peters said."],
    ),
    (OutroScene(main_text="Thanks", sub_text="See you soon"), ["Thanks", "See you soon"]),
    (
        LearningObjectivesScene(lesson_title="Loops", objectives=["Write loops", "Use range"]),
        ["Loops", "Write loops", "Use range"],
    ),
    (
        ProblemScene(title="Sum", problem_text="Add the numbers.", difficulty="easy"),
        ["Sum", "Add the numbers", "easy"],
    ),
    (
        SolutionScene(title="Answer", code="print(sum(range(10)))", explanation="Use sum."),
        ["Answer", "Use sum", "Python code"],
    ),
    (
        QuizScene(question="Which starts a loop?", options=["if", "for", "def"], correct_index=1),
        ["Which starts a loop?", "if, for, or def", "The answer is for."],
    ),
    (
        CheckpointScene(
            checkpoint_number=2, completed_topics=["Loops"], review_questions=["What is range?"]
        ),
        ["Checkpoint 2", "Loops", "What is range?"],
    ),
    (
        ExerciseScene(title="Practice", instructions=["Print ten numbers"], hints=["Use range"]),
        ["Practice", "Print ten numbers", "Use range"],
    ),
    (
        ClipScene(
            prompt="A piggy bank filling up", headline="Save first", body="Pay yourself first."
        ),
        ["Save first", "Pay yourself first"],
    ),
    (
        AdScene(role="hook", headline="Stop wasting coffee", body="Meet BrewMate"),
        ["Stop wasting coffee", "Meet BrewMate"],
    ),
]


@pytest.mark.parametrize(("scene", "expected"), SCENES, ids=[s.scene_type for s, _ in SCENES])
def test_narrate_every_scene_type(scene: object, expected: list[str]) -> None:
    text = narrate_scene(scene)
    for fragment in expected:
        assert fragment in text, (fragment, text)
    for symbol in FORBIDDEN:
        assert symbol not in text, (symbol, text)


def test_every_scene_type_is_covered() -> None:
    from pipeline.models import SCENE_TYPES

    assert sorted({scene.scene_type for scene, _ in SCENES}) == sorted(SCENE_TYPES)


@pytest.mark.parametrize("scene", [s for s, _ in SCENES], ids=[s.scene_type for s, _ in SCENES])
def test_revealable_items_are_mentioned_in_order(scene: object) -> None:
    text = narrate_scene(scene).lower()
    position = 0
    for item in revealable_items(scene):
        if scene.scene_type == "command":
            break  # commands are summarised, never read out
        first = item.split()[0].lower()
        found = text.find(first, position)
        assert found >= 0, (first, text)
        position = found + len(first)


def test_quiz_hides_answer_when_asked() -> None:
    scene = QuizScene(question="Pick", options=["a", "b"], correct_index=1, show_answer=False)
    text = narrate_scene(scene)
    assert "answer" not in text and "a or b" in text


def test_language_without_catalog_falls_back_to_english() -> None:
    scene = QuizScene(question="Pick", options=["a", "b"], correct_index=1)
    assert narrate_scene(scene, language="af") == narrate_scene(scene, language="en")
    assert "en" in PHRASES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("See https://github.com/foo/bar for more.", "See github.com for more."),
        ("Visit www.example.org/page today", "Visit www.example.org today"),
        ("This is **bold** and *italic* text", "This is bold and italic text"),
        ("Read [the docs](https://docs.example.com/x) now", "Read the docs now"),
        ("Line one<br>line two", "Line one line two"),
        ("Ship it :rocket: now", "Ship it now"),
        ("Call `napari.run()` to start", "Call napari run to start"),
        ("Use `pip` here", "Use pip here"),
        ("Cats & dogs", "Cats and dogs"),
        ("Up 50% today", "Up 50 percent today"),
        ("Fruit, e.g. apples", "Fruit, for example apples"),
        ("It costs $300-500 million", "It costs 300-500 million dollars"),
        ("Lasts 25+ years", "Lasts 25 plus years"),
        ("Under <100m only", "Under less than 100m only"),
        ("Spaces   and\n\nnewlines", "Spaces and newlines"),
        ("<!-- hidden --> Shown.", "Shown."),
        ("![logo](x.png) Welcome!", "Welcome!"),
        ("## Heading\n- item one", "Heading item one"),
    ],
)
def test_clean_for_speech(raw: str, expected: str) -> None:
    assert clean_for_speech(raw) == expected


def test_clean_for_speech_summarises_code() -> None:
    text = clean_for_speech(
        "Run ```python\nx = {a: b for a, b in y}\n``` then `f(x)[0] = {k: v}` ok."
    )
    assert "{" not in text and "=" not in text
    assert "the code" in text
    assert text.endswith("ok.")


def test_script_stage_uses_cleaned_or_generated_narration() -> None:
    spec = VideoSpec(
        title="T",
        scenes=[
            {"scene_type": "title", "title": "Hello", "narration": "Go to https://x.org/a **now**"},
            {"scene_type": "title", "title": "Generated", "subtitle": "by rules"},
            {"scene_type": "title", "title": "Silent", "narration": ""},
            {"scene_type": "title", "title": "Only markup", "narration": "<br> <!-- x -->"},
        ],
    )
    script = script_stage(spec)
    assert script == ["Go to x.org now", "Generated. by rules.", "", "Only markup."]


def test_script_stage_respects_length_limit() -> None:
    long_items = [{"title": "word " * 30, "description": "more " * 30} for _ in range(12)]
    spec = VideoSpec(
        title="T",
        scenes=[
            {
                "scene_type": "list",
                "header": "H " * 90,
                "description": "d " * 900,
                "items": long_items,
            }
        ],
    )
    (text,) = script_stage(spec)
    assert len(text) <= MAX_NARRATION_TEXT


def _section_spec(narrations: list[str | None], headers: list[str]) -> VideoSpec:
    return VideoSpec.model_validate(
        {
            "title": "Sections",
            "scenes": [
                {"scene_type": "title", "title": header, "narration": text}
                for header, text in zip(headers, narrations, strict=True)
            ],
        }
    )


def test_a_section_over_several_scenes_says_its_heading_once():
    spec = _section_spec(
        [
            "Usage. Manim is versatile.",
            "Usage. Save the code in a file.",
            "Usage. Then run it.",
            "Docker. An image is maintained.",
        ],
        ["Usage", "Usage", "Usage", "Docker"],
    )
    assert script_stage(spec) == [
        "Usage. Manim is versatile.",
        "Save the code in a file.",
        "Then run it.",
        "Docker. An image is maintained.",
    ]


def test_generated_narration_of_a_continued_section_skips_the_heading():
    spec = VideoSpec.model_validate(
        {
            "title": "Sections",
            "scenes": [
                {"scene_type": "title", "title": "Install", "narration": "Install. Use pip."},
                {
                    "scene_type": "list",
                    "header": "Install",
                    "items": ["Make a virtual environment", "Run pip"],
                },
            ],
        }
    )
    second = script_stage(spec)[1]
    assert not second.startswith("Install")
    assert "Make a virtual environment" in second


def test_the_heading_stays_when_it_is_not_a_sentence_of_its_own_or_all_there_is():
    spec = _section_spec(
        ["Python. Intro.", "Python is fun to write.", "Python."],
        ["Python", "Python", "Python"],
    )
    # "Python is …" merely starts with the heading's word; "Python." alone would leave silence
    assert script_stage(spec) == ["Python. Intro.", "Python is fun to write.", "Python."]
