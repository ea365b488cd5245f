"""Document understanding that keeps the author's structure (issue 9, item 1).

Real documents only: the corpus PDF, PDFs converted from corpus Markdown by WeasyPrint
(``scripts/make_test_pdfs.py``), the reST README shipped in the pytest-qt wheel.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfWriter

from pipeline.adapters import read_document, spec_from_markdown
from pipeline.adapters.blocks import Heading, ListBlock, Paragraph
from pipeline.adapters.pdf import PdfLine
from pipeline.adapters.pdf_layout import join_lines, lines_to_blocks
from pipeline.adapters.yaml_scenes import spec_from_yaml
from pipeline.errors import InputError
from pipeline.models import VideoSpec
from pipeline.narration import script_stage

DATA = Path(__file__).resolve().parent / "data"
GUIDE_PDF = DATA / "pdf" / "internet_guide_vol1.pdf"
NAPARI_PDF = DATA / "pdf" / "napari_readme_no_outline.pdf"
RST_README = DATA / "rst" / "pytest-qt-README.rst"
CORPUS_PDF = "video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf"
CORPUS_MD = "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md"


def shown_and_spoken(spec: VideoSpec) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for scene in spec.scenes:
        walk(scene.model_dump())
    return found + script_stage(spec)


def list_items(spec: VideoSpec) -> list[str]:
    return [item.title for s in spec.scenes if s.scene_type == "list" for item in s.items]


def md_top_bullets(markdown: str) -> list[str]:
    """Top-level bullet titles of the Markdown twin: ``- **Name**: text`` → ``Name``."""
    titles = []
    for line in markdown.splitlines():
        match = re.match(r"^- (?:\*\*([^*]+)\*\*|([^:*]+))", line)
        if match:
            titles.append((match.group(1) or match.group(2)).strip().rstrip(":"))
    return titles


@pytest.fixture(scope="module")
def guide(corpus_dir: Path) -> tuple[VideoSpec, list[str]]:
    loaded = read_document(GUIDE_PDF)
    return loaded.spec, loaded.notes


# --- PDF ------------------------------------------------------------------------------


def test_pdf_bullets_reach_list_scenes(guide, corpus_dir: Path) -> None:
    spec, _notes = guide
    bullets = md_top_bullets((corpus_dir / CORPUS_MD).read_text(encoding="utf-8"))
    assert len(bullets) >= 25
    items = " | ".join(list_items(spec))
    missing = [b for b in bullets if b not in items]
    # every top-level bullet of the Markdown twin is a list item of the PDF's video
    assert len(missing) <= len(bullets) // 20, missing
    # A bullet's nested bullets that are too long to be its description get a list of their
    # own, headed by the bullet, right after its list: nothing is clipped away.
    lists = [s for s in spec.scenes if s.scene_type == "list"]
    single = [s for s in lists if s.header == "Single-mode fiber"]
    assert single, [s.header for s in lists]
    assert any(
        i.title == "Core diameter" and i.description.startswith("8-10 micrometers")
        for i in single[0].items
    )
    parent = next(s for s in lists if "Single-mode fiber" in [i.title for i in s.items])
    assert lists.index(single[0]) > lists.index(parent)
    assert not [i for s in lists for i in s.items if i.description.endswith("…")]


def test_pdf_headers_page_numbers_and_toc_never_appear(guide) -> None:
    spec, _notes = guide
    texts = shown_and_spoken(spec)
    joined = " ".join(texts)
    assert not re.search(r"Page \d+ of \d+", joined)
    assert "Volume 1 ·" not in joined and "How the Internet Works · Volume 1" not in joined
    headers = [getattr(s, "title", None) or getattr(s, "header", "") for s in spec.scenes]
    assert "Table of Contents" not in headers


def test_pdf_outline_gives_the_sections_in_order(guide, corpus_dir: Path) -> None:
    spec, _notes = guide
    markdown = (corpus_dir / CORPUS_MD).read_text(encoding="utf-8")
    wanted = [
        line.lstrip("#").strip()
        for line in markdown.splitlines()
        if re.match(r"^#{2,3} ", line) and "Contents" not in line
    ]
    headers = [getattr(s, "title", None) or getattr(s, "header", "") for s in spec.scenes]
    positions = [headers.index(h) for h in wanted if h in headers]
    assert len(positions) >= len(wanted) - 1, (wanted, headers)
    assert positions == sorted(positions)
    assert spec.title == "How the Internet Works"


def test_pdf_hyphenation_is_joined_and_words_stay_whole(guide) -> None:
    spec, _notes = guide
    joined = " ".join(shown_and_spoken(spec))
    assert "\u2010 " not in joined and not re.search(r"[a-z]- [a-z]{2,}\b(?<!and)", joined)
    for word in ("connectivity", "communication", "Interconnection"):
        assert word.lower() in joined.lower()


def test_corpus_pdf_furniture_and_toc(corpus_dir: Path) -> None:
    loaded = read_document(corpus_dir / CORPUS_PDF)
    texts = shown_and_spoken(loaded.spec)
    assert not any(re.search(r"Page \d+ of 12", t) for t in texts)
    # the running header is the title: it opens the video once and closes it, nowhere else
    titles = [getattr(s, "title", "") for s in loaded.spec.scenes[1:]]
    assert "How the Internet Works" not in titles
    assert not any(t.startswith(("1. ", "2. ", "3. ")) for t in titles)  # TOC skipped


def test_pdf_code_and_paragraph_order(corpus_dir: Path) -> None:
    spec = read_document(NAPARI_PDF).spec
    kinds = [s.scene_type for s in spec.scenes]
    assert "command" in kinds or "solution" in kinds
    code = [s for s in spec.scenes if s.scene_type in ("command", "solution")]
    assert any(
        "conda create" in " ".join(getattr(s, "commands", [])) + getattr(s, "code", "")
        for s in code
    )
    joined = " ".join(shown_and_spoken(spec))
    assert not re.search(r"Page \d+ of \d+", joined)


def test_pdf_without_text_is_refused_naming_the_file(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scanned.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(InputError) as info:
        read_document(path)
    assert "scanned.pdf" in str(info.value) and "scanned" in str(info.value)
    assert info.value.hint and "OCR" in info.value.hint


def test_pdf_pages_without_text_are_named_in_a_note(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(NAPARI_PDF))
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "partly_scanned.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    notes = read_document(path).notes
    assert any("partly_scanned.pdf" in n and "page 4" in n and "OCR" in n for n in notes)


def test_cli_exits_2_for_a_pdf_without_text(tmp_path: Path, capsys) -> None:
    from studio.cli import main

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "blank.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    out = tmp_path / "out.mp4"
    assert main(["render", str(path), "-o", str(out), "--offline"]) == 2
    assert "blank.pdf" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("out*"))


def _line(y: float, text: str, *, x: float = 72, page: int = 0, size: float = 11) -> PdfLine:
    return PdfLine(page, x, y, size, False, text)


def test_layout_rules_on_lines() -> None:
    """Edge cases of the layout rules on hand-made lines (not a PDF)."""
    assert join_lines("a dan-", "gerous road") == "a dangerous road"
    assert join_lines("see https://example.com/docs/", "install.html now") == (
        "see https://example.com/docs/install.html now"
    )
    assert join_lines("state-", "Of the art") == "state- Of the art"
    lines = [
        _line(800, "Report", size=20),
        _line(700, "Some text that goes on"),
        _line(686, "and ends here."),
        _line(660, "a) first choice"),
        _line(646, "b) second choice that wraps", x=72),
        _line(632, "onto a second line", x=90),
        _line(40, "3"),
        _line(800, "and more text on page two.", page=1),
        _line(40, "4", page=1),
    ]
    blocks = lines_to_blocks(lines, page_heights=[842, 842])
    assert blocks[0] == Heading(1, "Report")
    assert blocks[1] == Paragraph("Some text that goes on and ends here.")
    listing = blocks[2]
    assert isinstance(listing, ListBlock) and listing.ordered
    assert [e.text for e in listing.entries] == [
        "first choice",
        "second choice that wraps onto a second line",
    ]
    assert all("3" != getattr(b, "text", "") for b in blocks)  # page numbers dropped


# --- reStructuredText --------------------------------------------------------------------


def test_rst_readme_from_a_wheel(tmp_path: Path) -> None:
    loaded = read_document(RST_README)
    spec = loaded.spec
    assert spec.title == "pytest-qt"
    joined = " ".join(shown_and_spoken(spec))
    for leak in ("====", "|version|", "image::", ".. _", "|conda-forge|", "`", "shields.io"):
        assert leak not in joined, leak
    headers = [getattr(s, "header", "") for s in spec.scenes]
    assert "Features" in headers
    kinds = [s.scene_type for s in spec.scenes]
    assert "solution" in kinds  # the code-block
    assert any("Change Log" in n for n in loaded.notes)  # skipped by default, and said
    # the same file as .txt is detected as reST
    as_txt = tmp_path / "README.txt"
    as_txt.write_text(RST_README.read_text(encoding="utf-8"), encoding="utf-8")
    assert read_document(as_txt).spec.title == "pytest-qt"
    kept = read_document(RST_README, skip_boilerplate=False).spec
    assert any(getattr(s, "title", "") == "Change Log" for s in kept.scenes)


# --- order, lead-ins, pointers, skipped sections ---------------------------------------------


def test_order_lead_in_and_pointer_sentences() -> None:
    md = (
        "# Guide\n\nIntro text here.\n\n## Use\n\n"
        "First explain the setup. Then run it like this:\n\n```bash\n$ tool run\n```\n\n"
        "After running, check the result.\n\n"
        "This produces the following output:\n\n![out](out.png)\n\n"
        "See the table below for details. The tool is fast.\n\n"
        "The options are:\n\n- alpha\n- beta\n"
    )
    spec = spec_from_markdown(md)
    scenes = spec.scenes
    kinds = [s.scene_type for s in scenes]
    assert kinds == ["title", "title", "command", "title", "list", "outro"]
    assert scenes[1].narration.endswith("First explain the setup.")
    assert scenes[2].description == "Then run it like this:"
    assert "check the result" in scenes[3].narration and "The tool is fast." in scenes[3].narration
    joined = " ".join(shown_and_spoken(spec))
    assert "following output" not in joined and "table below" not in joined
    assert scenes[4].description == "The options are:"


def test_boilerplate_sections_skipped_by_default(corpus_dir: Path) -> None:
    md = (
        "# Tool\n\nA tool.\n\n## Install\n\nRun pip.\n\n## Changelog\n\n### 1.0\n\n- first\n\n"
        "## License\n\nMIT.\n\n## Contributors\n\nMany.\n\n## Conclusion\n\nUse it.\n"
    )
    notes: list[str] = []
    spec = spec_from_markdown(md, source="README.md", notes=notes)
    titles = [getattr(s, "title", getattr(s, "header", "")) for s in spec.scenes]
    assert titles[:3] == ["Tool", "Install", "Conclusion"]
    assert notes and "Changelog" in notes[0] and "README.md" in notes[0]
    full = spec_from_markdown(md, skip_boilerplate=False)
    assert {"Changelog", "License", "Contributors"} <= {
        getattr(s, "title", "") for s in full.scenes
    }


# --- YAML --------------------------------------------------------------------------------


def test_markdown_in_yaml_fields_is_rendered() -> None:
    text = (
        "video: {title: '**Demo** :rocket:'}\nscenes:\n"
        "  - type: list\n    title: See [Install](#install)\n"
        "    items: ['[Fast](#fast) start :zap:', {title: '`pip` install', description: '*easy*'}]\n"
        "  - type: title\n    title: 'Done :tada:'\n    subtitle: 'Read [the docs](https://example.com)'\n"
    )
    spec = spec_from_yaml(text, source="md.yaml")
    assert spec.title == "Demo"
    listing, title = spec.scenes
    assert listing.header == "See Install"
    assert [i.title for i in listing.items] == ["Fast start", "pip install"]
    assert listing.items[1].description == "easy"
    assert title.title == "Done" and title.subtitle == "Read the docs"
    joined = " ".join(shown_and_spoken(spec))
    assert "](" not in joined and ":rocket:" not in joined and "**" not in joined


def test_document_with_nothing_to_say_exits_2(tmp_path: Path, capsys) -> None:
    from studio.cli import main

    path = tmp_path / "title_only.md"
    path.write_text("# Only a title\n\n[![badge](https://img.shields.io/x.svg)](https://x.org)\n")
    out = tmp_path / "out.mp4"
    assert main(["render", str(path), "-o", str(out), "--offline"]) == 2
    err = capsys.readouterr().err
    assert "title_only.md" in err and "nothing to say" in err
    assert not out.exists()
    changelog = tmp_path / "notes.md"
    changelog.write_text("# Tool\n\n## Changelog\n\n- 1.0: first release\n")
    with pytest.raises(InputError, match="changelog, licence and contributor sections"):
        read_document(changelog)
    kept = read_document(changelog, skip_boilerplate=False).spec
    assert [s.scene_type for s in kept.scenes] == ["title", "list", "outro"]
