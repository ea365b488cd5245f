"""Adapters: corpus documents, YAML formats, hostile input, the builder."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import docx
import pytest

from pipeline.adapters import load_document, read_document, spec_from_markdown, spec_from_text
from pipeline.adapters.blocks import clip
from pipeline.adapters.builder import VideoBuilder
from pipeline.adapters.yaml_scenes import spec_from_yaml
from pipeline.errors import InputError
from pipeline.models import MAX_ITEMS, MAX_SCENES, VideoSpec
from pipeline.narration import script_stage

CODE_FIELDS = {"commands", "code", "before_code", "after_code"}
LEAKS = ("![", "](", "http", "**", "`", "|---")
TAG_RE = re.compile(r"<[A-Za-z/!]")  # markup; "<100m" (less than) is legitimate text
MARKDOWN_FILES = (
    "pyav-README.md",
    "napari-README.md",
    "manim-README.md",
    "video_gen-Internet_Guide_README.md",
    "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md",
)


def texts(spec: VideoSpec) -> list[str]:
    """Every displayed text field (not code) plus every narration that will be spoken."""
    found: list[str] = [spec.title]

    def walk(value: object, key: str = "") -> None:
        if key in CODE_FIELDS:
            return
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    for scene in spec.scenes:
        walk(scene.model_dump())
    return found + script_stage(spec)


def assert_no_leaks(spec: VideoSpec) -> None:
    for text in texts(spec):
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} leaked into {text[:120]!r}"
        assert not TAG_RE.search(text), f"HTML leaked into {text[:120]!r}"


def types(spec: VideoSpec) -> list[str]:
    return [scene.scene_type for scene in spec.scenes]


@pytest.fixture(scope="module")
def pdf_spec(corpus_dir: Path) -> VideoSpec:
    return load_document(corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf")


# --- corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", MARKDOWN_FILES)
def test_corpus_markdown_gives_sane_spec(corpus_dir: Path, name: str) -> None:
    spec = load_document(corpus_dir / name)
    kinds = types(spec)
    assert kinds[0] == "title" and kinds[-1] == "outro"
    assert kinds.count("outro") == 1
    assert 4 <= len(kinds) <= 60
    assert_no_leaks(spec)
    for scene in spec.scenes:
        if scene.scene_type == "list":
            assert 1 <= len(scene.items) <= MAX_ITEMS


def test_corpus_titles(corpus_dir: Path) -> None:
    assert load_document(corpus_dir / "pyav-README.md").title == "PyAV"
    assert load_document(corpus_dir / "napari-README.md").title == "napari"
    assert load_document(corpus_dir / "manim-README.md").title == "manim README"
    vol1 = corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md"
    assert load_document(vol1).title == "How the Internet Works"
    assert load_document(vol1, title="Custom").title == "Custom"


def test_pyav_code_blocks_become_command_scenes(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "pyav-README.md")
    commands = [s for s in spec.scenes if s.scene_type == "command"]
    all_commands = [c for s in commands for c in s.commands]
    assert "pip install av" in all_commands
    assert "conda install av -c conda-forge" in all_commands
    assert "make test" in all_commands
    assert not any(c.startswith("#") for c in all_commands)  # comments are not commands
    assert any(s.language == "powershell" for s in commands)
    quotes = [s for s in spec.scenes if s.scene_type == "quote"]
    assert quotes and quotes[0].context == "Warning"
    assert "[!WARNING]" not in quotes[0].quote_text


def test_napari_python_code_becomes_solution_and_html_is_dropped(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "napari-README.md")
    solutions = [s for s in spec.scenes if s.scene_type == "solution"]
    assert solutions and "napari.imshow" in solutions[0].code
    assert solutions[0].language == "python"
    joined = " ".join(texts(spec))
    for fragment in ("Project info", "shields.io", "img.shields", "<!--", "Sponsor our Project"):
        assert fragment not in joined


def test_manim_html_and_images_do_not_leak(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "manim-README.md")
    joined = " ".join(texts(spec))
    assert "manim-illustration" not in joined and "align" not in joined
    headers = [getattr(s, "header", "") for s in spec.scenes]
    assert "Command line arguments" in headers


def test_table_becomes_first_column_list() -> None:
    md = "# T\n\n## Flags\n\n| flag | meaning |\n|---|---|\n| `-p` | preview |\n| `-ql` | low quality |\n"
    spec = spec_from_markdown(md)
    lists = [s for s in spec.scenes if s.scene_type == "list"]
    assert [item.title for item in lists[0].items] == ["-p", "-ql"]
    assert lists[0].items[0].description == "preview"
    assert_no_leaks(spec)


def test_long_markdown_splits_and_keeps_limits(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md")
    headers = {getattr(s, "title", getattr(s, "header", "")) for s in spec.scenes}
    for heading in ("Physical Infrastructure Layer", "Core Routers", "Fiber Optic Technology"):
        assert heading in headers
    assert "list" in types(spec)
    assert all(len(n) <= 5000 for n in script_stage(spec))


def test_pdf_resembles_markdown_version(corpus_dir: Path, pdf_spec: VideoSpec) -> None:
    md_text = (corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md").read_text()
    h2 = [
        line[3:].strip()
        for line in md_text.splitlines()
        if line.startswith("## ") and "Volume" not in line and "Contents" not in line
    ]
    pdf_titles = {getattr(s, "title", getattr(s, "header", "")) for s in pdf_spec.scenes}
    found = [heading for heading in h2 if heading in pdf_titles]
    assert len(found) >= len(h2) - 1, (h2, pdf_titles)
    assert pdf_spec.title == "How the Internet Works"
    assert types(pdf_spec)[-1] == "outro"
    assert 5 <= len(pdf_spec.scenes) <= 60
    joined = " ".join(texts(pdf_spec))
    assert "Page 3 of 12" not in joined  # footers dropped
    assert_no_leaks(pdf_spec)


def test_yaml_nested_video_gen(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "video_gen-example_simple.yaml")
    assert spec.title == "Feature Demo"
    assert types(spec) == ["title", "command", "list", "outro"]
    title, command, listing, outro = spec.scenes
    assert title.subtitle == "Quick Overview" and title.scene_id == "1"
    assert command.commands == ["$ tool install feature", "$ tool init", "$ tool run"]
    assert command.narration == "Getting up and running quickly with three simple commands"
    assert [i.title for i in listing.items] == [
        "Fast Performance",
        "Easy to Use",
        "Well Documented",
    ]
    assert listing.items[0].description == "Optimized for speed"
    assert outro.main_text == "Ready to Get Started?"
    assert spec.theme.accent_color == "#3b82f6"
    assert spec.voice == "male"


def test_yaml_flat_video_gen(corpus_dir: Path) -> None:
    spec = load_document(corpus_dir / "video_gen-example_new_scene_types.yaml")
    assert spec.title == "Code Refactoring Guide"
    assert types(spec) == ["title", "code_comparison", "quote", "code_comparison", "list", "outro"]
    comparison = spec.scenes[1]
    assert "result.append(item * 2)" in comparison.before_code
    assert comparison.before_label == "Original" and comparison.after_label == "Refactored"
    assert comparison.scene_id == "scene_02_comparison"
    assert comparison.min_duration_s == 8.0 and comparison.max_duration_s == 12.0
    quote = spec.scenes[2]
    assert quote.attribution == "Martin Fowler"
    assert quote.quote_text.startswith("Any fool can write code")
    assert [i.title for i in spec.scenes[4].items][:2] == ["Keep it Simple", "DRY Principle"]
    assert spec.theme.accent_color == "#8b5cf6"
    assert spec.scenes[0].subtitle == "Write Better Code"


VIDEO_GEN_EDU = """
video: {title: Edu, accent_color: green}
scenes:
  - type: learning_objectives
    lesson_title: Loops
    objectives: [{objective: Write a for loop}, Use range]
    min_duration: 3
  - type: quiz
    question: Which keyword starts a loop?
    options: [if, for, def]
    correct_answer: for
  - type: checkpoint
    checkpoint_number: 2
    completed_topics: [Loops]
    next_topics: [Functions]
  - type: exercise
    title: Practice
    instructions: Print 1 to 10
    hints: [Use range]
  - type: problem
    title: Sum
    problem_text: Add the numbers from 1 to 100.
  - type: solution
    title: Sum solution
    code: ["total = sum(range(1, 101))", "print(total)"]
"""


def test_yaml_video_gen_educational_fields() -> None:
    spec = spec_from_yaml(VIDEO_GEN_EDU, source="edu.yaml")
    objectives, quiz, checkpoint, exercise, problem, solution = spec.scenes
    assert objectives.objectives == ["Write a for loop", "Use range"]
    assert objectives.min_duration_s == 3.0
    assert quiz.correct_index == 1
    assert checkpoint.checkpoint_number == 2 and checkpoint.next_topics == ["Functions"]
    assert exercise.instructions == ["Print 1 to 10"]
    assert problem.problem_text.startswith("Add the numbers")
    assert solution.code == "total = sum(range(1, 101))\nprint(total)"
    assert spec.theme.accent_color == "#10b981"


OUR_SCHEMA = """
title: My video
format: "9:16"
theme: {accent_color: orange, font_family: serif, dark: true}
voice: female
language: es
captions: true
scenes:
  - scene_type: title
    title: Hola
  - scene_type: list
    header: Puntos
    items: [uno, {title: dos, description: segundo}]
"""


def test_yaml_our_schema_round_trip() -> None:
    spec = spec_from_yaml(OUR_SCHEMA, source="ours.yaml")
    assert spec.format.value == "9:16" and spec.language == "es" and spec.theme.dark
    assert spec.scenes[1].items[1].description == "segundo"


def test_yaml_our_schema_is_strict_and_names_scene() -> None:
    bad = OUR_SCHEMA.replace("header: Puntos", "header: Puntos\n    colour: red")
    with pytest.raises(InputError) as info:
        spec_from_yaml(bad, source="ours.yaml")
    assert "ours.yaml" in str(info.value) and "scenes[1]" in str(info.value)


def test_yaml_unknown_scene_type_names_index() -> None:
    with pytest.raises(InputError, match=r"scenes\[1\]\.scene_type"):
        spec_from_yaml(
            "title: x\nscenes:\n  - {scene_type: title, title: a}\n  - {scene_type: movie}\n",
            source="f.yaml",
        )


def test_yaml_video_gen_invalid_field_names_index() -> None:
    text = "video: {title: x}\nscenes:\n  - {type: title, title: a}\n  - {type: list, header: h}\n"
    with pytest.raises(InputError, match=r"f\.yaml, scenes\[1\]"):
        spec_from_yaml(text, source="f.yaml")


# --- hostile input --------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"  \n\n\t \n", "whitespace"),
        ("random.md", os.urandom(4096).replace(b"\x89", b"\x00"), "not readable text"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + os.urandom(64), "PNG"),
        ("bomb.yaml", BILLION_LAUGHS.encode(), "alias bomb"),
        ("seq.yaml", b"- a\n- b\n", "must be a mapping"),
        ("scalar.yml", b"just text\n", "must be a mapping"),
        ("syntax.yaml", b"title: [unclosed\n", "line 2"),
        ("recursive.yaml", b"a: &a [*a]\n", "recursive"),
        ("deep.yaml", b"[" * 50_000, "nested too deeply"),
        ("fake.pdf", b"hello, not a pdf", "not a PDF"),
        ("fake.docx", b"hello, not a zip", "not a zip"),
        ("notes.rtf", b"{\\rtf1}", ".md, .markdown, .rst, .rest, .txt, .pdf, .docx, .yaml, .yml"),
    ],
)
def test_hostile_input_gives_clear_error(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_document(path)
    assert message in str(info.value)
    assert name in str(info.value)
    assert info.value.hint


def test_truncated_pdf_is_refused(tmp_path: Path, corpus_dir: Path) -> None:
    data = (corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="cut.pdf"):
        load_document(path)


def test_zip_bomb_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(InputError, match="100:1"):
        load_document(path)


def test_zip_that_is_not_word_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="not a Word document"):
        load_document(path)


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.adapters.textio as textio

    path = tmp_path / "big.md"
    path.write_text("# Big\n\n" + "word " * 1000)
    monkeypatch.setattr(textio, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(InputError, match="limit is"):
        load_document(path)


def test_five_megabytes_on_one_line_is_fast(tmp_path: Path) -> None:
    path = tmp_path / "line.md"
    path.write_text("[*" * 2_500_000)
    spec = load_document(path)
    assert types(spec)[0] == "title" and len(spec.scenes) <= MAX_SCENES


def test_long_prose_past_the_cap_is_condensed_and_the_user_told(tmp_path: Path) -> None:
    """Issue 9: past 100 scenes the document is condensed (its end kept) and a note says so."""
    sections = "".join(
        f"## Part {n}\n\n" + "Some words here. " * 40 + "\n\n" + f"- point {n}\n- more\n\n"
        for n in range(150)
    )
    path = tmp_path / "huge.md"
    path.write_text("# Huge\n\n" + sections + "## Conclusion\n\nThat is all.\n")
    loaded = read_document(path)
    spec = loaded.spec
    assert len(spec.scenes) == MAX_SCENES
    assert spec.scenes[-1].scene_type == "outro"
    assert spec.scenes[-2].title == "Conclusion"  # the end is never silently dropped
    assert any("huge.md" in note and "100-scene limit" in note for note in loaded.notes)
    titles = [s.title for s in spec.scenes[1:-2]]
    numbers = [int(t.split()[1]) for t in titles]
    assert numbers == sorted(numbers)  # document order kept


def test_deeply_nested_list_is_flattened(tmp_path: Path) -> None:
    path = tmp_path / "deep.md"
    path.write_text("# Deep\n\n" + "".join("  " * i + f"- item {i}\n" for i in range(500)))
    spec = load_document(path)
    lists = [s for s in spec.scenes if s.scene_type == "list"]
    assert lists and lists[0].items[0].title == "item 0"


def test_long_fields_are_clipped_not_refused() -> None:
    spec = spec_from_markdown("# " + "Title " * 100 + "\n\n- " + "item " * 200 + "\n")
    assert len(spec.title) <= 200 and spec.title.endswith("…")
    assert spec.scenes[1].items[0].title.endswith("…")


def test_a_paragraph_subtitle_drops_its_aside_rather_than_ending_inside_it() -> None:
    # the PDF guide's subtitle read "... internet traffic (satellites handle less…"
    spec = spec_from_markdown(
        "# Cables\n\nUndersea cables are engineering marvels that carry 99% of "
        "intercontinental internet traffic (satellites handle less than 1%). These cables "
        "must withstand immense pressure.\n"
    )
    subtitles = [getattr(scene, "subtitle", "") for scene in spec.scenes]
    assert (
        "Undersea cables are engineering marvels that carry 99% of intercontinental "
        "internet traffic." in subtitles
    ), subtitles
    assert clip("A long sentence about cables (with an aside that runs on) and more", 40) == (
        "A long sentence about cables…"
    )


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café notes\n\nThe résumé is naïve.\n".encode("cp1252"))
    spec = load_document(path)
    assert spec.title == "Café notes"


def test_plain_text_lists_and_headings() -> None:
    text = (
        "Shopping\n\nWe need a few things.\n\nFruit\n\n- apples\n- pears\n\n1. first\n2. second\n"
    )
    spec = spec_from_text(text, source="shop.txt")
    assert spec.title == "Shopping"
    lists = [s for s in spec.scenes if s.scene_type == "list"]
    assert [i.title for i in lists[0].items] == ["apples", "pears"]
    assert lists[0].header == "Fruit"
    assert [i.title for i in lists[1].items] == ["first", "second"]


def test_docx_headings_lists_quotes_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Word Guide", 0)
    document.add_paragraph("An introduction to the guide.")
    document.add_heading("Setup", 1)
    document.add_paragraph("Set things up like this.")
    document.add_paragraph("Install it", style="List Bullet")
    document.add_paragraph("Configure it", style="List Number")
    document.add_paragraph("with care", style="List Bullet 2")
    document.add_paragraph("Simple is better.", style="Quote")
    table = document.add_table(rows=3, cols=2)
    for row, (a, b) in enumerate([("Name", "Use"), ("alpha", "first"), ("beta", "second")]):
        table.cell(row, 0).text, table.cell(row, 1).text = a, b
    path = tmp_path / "guide.docx"
    document.save(path)
    spec = load_document(path)
    assert spec.title == "Word Guide"
    kinds = types(spec)
    assert kinds[0] == "title" and kinds[-1] == "outro" and "quote" in kinds
    lists = [s for s in spec.scenes if s.scene_type == "list"]
    assert [i.title for i in lists[0].items] == ["Install it", "Configure it"]
    assert lists[0].items[1].description == "with care"
    assert [i.title for i in lists[1].items] == ["alpha", "beta"]


def test_docx_code_typed_in_a_monospace_font_is_code(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Install", 1)
    document.add_paragraph("Run these two lines:")
    for line in ("python -m pip install napari", "napari"):
        run = document.add_paragraph().add_run(line)
        run.font.name = "Courier New"
    mixed = document.add_paragraph()
    mixed.add_run("Then call ")
    mixed.add_run("napari.run()").font.name = "Consolas"
    path = tmp_path / "typed.docx"
    document.save(path)
    spec = load_document(path)
    code = [s for s in spec.scenes if getattr(s, "code", None)]
    assert code and "python -m pip install napari\nnapari" in code[0].code
    # a paragraph with some words in a code font stays prose
    assert all("Then call" not in s.code for s in code)


def test_docx_markdown_pasted_into_word_reads_as_its_text(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("napari", 1)
    document.add_paragraph(  # a README's badge lines pasted into Word: nothing to say
        "[![License](https://img.shields.io/pypi/l/napari.svg)](https://github.com/napari)\n"
        "[![SPEC 0](https://img.shields.io/badge/SPEC-0%20(aspiring!)-green?labelColor="
        "%23004811&color=%235CA038)](https://scientific-python.org/specs/spec-0000/)"
    )
    document.add_paragraph("A fast viewer. See [the docs](https://napari.org) to start.")
    path = tmp_path / "pasted.docx"
    document.save(path)
    spec = load_document(path)
    said = " ".join(
        " ".join(str(v) for v in scene.model_dump().values() if isinstance(v, str))
        for scene in spec.scenes
    )
    assert "See the docs to start." in said
    for markup in ("](", "![", "labelColor", "shields", "%23"):
        assert markup not in said, markup


# --- builder --------------------------------------------------------------------------


def test_builder_round_trip() -> None:
    spec = (
        VideoBuilder(title="Built", voice="female")
        .add_title("Built", subtitle="by code")
        .add_list("Points", ["one", ("two", "second")])
        .add_command("Install", ["pip install videostudio"], narration="Install it.")
        .add_code_comparison("Refactor", "a = 1", "b = 2", improvement="Clearer")
        .add_quote("Less is more", "Mies")
        .add_learning_objectives("Lesson", ["Learn A"], duration_min=5)
        .add_problem("Problem", "Do X.")
        .add_solution("Answer", code="x = 1")
        .add_quiz("Pick one", ["a", "b"], correct_index=1)
        .add_checkpoint(completed_topics=["A"])
        .add_exercise("Try", ["Step one"], hints=["Look"])
        .add_outro("Bye", scene_id="end", min_duration_s=2.0)
        .build()
    )
    assert types(spec) == [
        "title", "list", "command", "code_comparison", "quote", "learning_objectives",
        "problem", "solution", "quiz", "checkpoint", "exercise", "outro",
    ]  # fmt: skip
    assert spec.voice == "female"
    assert spec.scenes[1].items[1].description == "second"
    assert spec.scenes[2].narration == "Install it."
    assert spec.scenes[-1].scene_id == "end" and spec.scenes[-1].min_duration_s == 2.0
    again = VideoSpec.model_validate_json(spec.model_dump_json())
    assert again == spec


def test_builder_error_names_scene() -> None:
    builder = VideoBuilder(title="Bad").add_title("ok").add_quiz("Q", ["a", "b"], correct_index=5)
    with pytest.raises(InputError, match=r"scenes\[1\]"):
        builder.build()


def test_no_scenes_in_builder_is_an_error() -> None:
    with pytest.raises(InputError, match="scenes"):
        VideoBuilder(title="Empty").build()


def test_markdown_without_text_is_refused() -> None:
    with pytest.raises(InputError, match="no readable text"):
        spec_from_markdown("<!-- only a comment -->\n\n![img](x.png)\n", source="c.md")


def test_no_markup_in_link_heavy_markdown() -> None:
    md = (
        "# Links\n\nSee [the docs](https://example.com/docs) and <https://raw.example.org/x>, "
        "or visit https://github.com/foo/bar. **Bold** and `code` <br> here.\n"
    )
    spec = spec_from_markdown(md)
    assert_no_leaks(spec)
    narration = script_stage(spec)[0]
    assert "the docs" in narration and "github.com" in narration
    assert re.search(r"\bBold\b", narration)


def test_schema_doc_example_loads() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "yaml-schema.md").read_text()
    example = doc.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = spec_from_yaml(example, source="yaml-schema.md")
    assert types(spec) == ["title", "command", "list", "quiz", "outro"]
    assert spec.theme.dark and spec.voice == "female"
    assert spec.scenes[3].correct_index == 1
