"""Every language of the voice table on screen: font chain coverage, drawn glyphs, line breaks.

The glyph test renders a title, a list and a command scene with a burned-in caption in each of
the 29 languages through the real scene renderers, records every string drawn through the
font chain, and checks (1) that every character is in the ``cmap`` of a font of the chain and
(2) that the glyph the chain draws for it differs from that font's ``.notdef`` box.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.i18n.scripts import join_words
from pipeline.models import CommandScene, ListScene, Theme, TitleScene
from pipeline.render import fonts as fonts_module
from pipeline.render import make_renderer
from pipeline.render.base import RenderContext
from pipeline.render.fonts import (
    SCRIPT_FONTS,
    FallbackFont,
    bidi_levels,
    chain_files,
    face,
    font_coverage,
    font_set,
    fonts_token,
    itemize,
    load_font,
    missing_characters,
)
from pipeline.render.text_layout import break_opportunities, no_space_script, wrap_text
from pipeline.speech.base import WordTiming
from pipeline.speech.voices import VOICE_TABLE
from pipeline.subtitles import Caption, cut_captions
from pipeline.timeline import SceneTiming
from resources import FONTS_DIR, font_path
from tests.language_samples import SAMPLES

FPS = 30
NOTDEF = "\U0010fffd"  # a private-use code point no bundled font maps


def test_samples_cover_the_voice_table():
    assert set(SAMPLES) == set(VOICE_TABLE)


@pytest.mark.parametrize("language", sorted(VOICE_TABLE))
def test_font_chain_covers_every_character(language):
    text = "".join(SAMPLES[language])
    for theme in (Theme(font_family="sans"), Theme(font_family="serif")):
        faces = font_set(theme, language)
        for face_name in (faces.regular, faces.bold, faces.mono, faces.mono_bold):
            assert missing_characters(text, face_name) == [], (language, face_name)


def test_missing_characters_reports_what_no_font_has():
    assert missing_characters("ok \U00010380 \U00020000", "DejaVuSans.ttf") == [
        "\U00010380",
        "\U00020000",
    ]


def test_bundled_fonts_have_licences():
    licence = (FONTS_DIR / "LICENSE-Noto.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    for script in SCRIPT_FONTS.values():
        for name in (script.regular, script.bold):
            assert (FONTS_DIR / name).is_file()
            if name.startswith("Noto"):
                assert name in licence


# -- glyphs drawn by the real renderers ---------------------------------------------------


@cache
def _mask(font_file: str, size_px: int, text: str, language: str | None) -> tuple:
    font = ImageFont.truetype(str(font_path(font_file)), size_px)  # that file alone, no chain
    mask, _ = font.getmask2(text, "L", language=language)
    return mask.size, bytes(mask)


def _glyph_is_real(font_file: str, ch: str, language: str | None) -> bool:
    return _mask(font_file, 24, ch, language) != _mask(font_file, 24, NOTDEF, language)


def _render_language(language: str, monkeypatch) -> list[tuple[FallbackFont, str]]:
    drawn: list[tuple[FallbackFont, str]] = []
    original = FallbackFont.getmask2

    def spy(self, text, *args, **kwargs):
        if recording:
            drawn.append((self, text))
        return original(self, text, *args, **kwargs)

    recording = True

    monkeypatch.setattr(FallbackFont, "getmask2", spy)
    title, item, sentence = SAMPLES[language]
    ctx = RenderContext(640, 360, FPS, Theme(), True, language=language)
    timing = SceneTiming(
        index=0,
        start_s=0.0,
        n_frames=60,
        fps=FPS,
        narration_offset_s=0.2,
        narration_duration_s=1.5,
        transition_in_s=0.0,
        captions=(Caption(0.0, 2.0, sentence),),
        item_reveal_s=(0.2, 0.3),
    )
    scenes = [
        TitleScene(title=title, subtitle=item),
        ListScene(header=title, items=[{"title": item}, {"title": sentence}]),
        CommandScene(header=item, commands=[f"# {item}", "pip install videostudio"]),
    ]
    for scene in scenes:
        frame = make_renderer(scene, ctx, timing).frame_at(1.0)
        assert frame.shape == (360, 640, 3)
    recording = False
    return drawn


@pytest.mark.parametrize("language", sorted(VOICE_TABLE))
def test_rendered_scenes_draw_no_missing_glyph(language, monkeypatch):
    drawn = _render_language(language, monkeypatch)
    title, item, sentence = SAMPLES[language]
    drawn_chars = {ch for _, text in drawn for ch in text}
    for part in (title, item, sentence):  # titles, list items, code and captions were drawn
        assert {ch for ch in part if not ch.isspace()} <= drawn_chars, part
    for font, text in drawn:
        assert missing_characters(text, face(font.files[0], font.language)) == []
        for index, run in itemize(text, font.files):
            for ch in set(run):
                if ch.isspace() or fonts_module.is_invisible(ch):
                    continue
                member = font.files[index]
                assert ord(ch) in font_coverage(member), (ch, member)
                assert _glyph_is_real(member, ch, font.language), (language, ch, member)


def test_notdef_comparison_detects_a_missing_glyph():
    assert not _glyph_is_real("DejaVuSans.ttf", "\u3042", None)  # あ is not in DejaVu
    assert _glyph_is_real("NotoSansCJKjp-Regular-Subset.otf", "\u3042", None)


# -- the chain itself ------------------------------------------------------------------------


def test_latin_text_draws_exactly_as_dejavu():
    plain = ImageFont.truetype(str(font_path("DejaVuSans-Bold.ttf")), 40)
    chained = load_font("DejaVuSans-Bold.ttf", 40)
    text = "Décorateurs — “quoted” 3.11 Ελληνικά Русский"
    assert chained.getlength(text) == plain.getlength(text)
    assert chained.getbbox(text) == plain.getbbox(text)
    got, got_offset = chained.getmask2(text, "L", anchor="la")
    want, want_offset = plain.getmask2(text, "L", anchor="la")
    assert (bytes(got), got_offset) == (bytes(want), want_offset)


def test_chain_order_and_metrics():
    files, n_metric = chain_files("DejaVuSans-Bold.ttf@ja")
    assert files[:2] == ("NotoSansCJKjp-Bold-Subset.otf", "DejaVuSans-Bold.ttf")
    assert n_metric == 2
    files, n_metric = chain_files("DejaVuSerif.ttf@hi")
    assert files[:2] == ("DejaVuSerif.ttf", "NotoSansDevanagari-Regular.ttf") and n_metric == 2
    assert "NotoSansThai-Regular.ttf" in files  # last resort for other scripts
    assert chain_files("DejaVuSans.ttf")[1] == 1
    hindi = load_font("DejaVuSans.ttf@hi", 40)
    latin = load_font("DejaVuSans.ttf", 40)
    assert hindi.getmetrics()[1] > latin.getmetrics()[1]  # room for Devanagari descenders
    assert face("DejaVuSans.ttf", "de") == "DejaVuSans.ttf"  # no chain of its own
    assert fonts_token("de") == {} and fonts_token("ja-JP") == {"fonts": "ja"}


def test_mixed_script_line_is_split_into_runs():
    runs = itemize("यह Python है।", chain_files("DejaVuSans.ttf@hi")[0])
    assert [index for index, _ in runs] == [1, 0, 1]
    assert "".join(text for _, text in runs) == "यह Python है।"


def test_chinese_draws_simplified_forms_and_japanese_its_own():
    ja = load_font(face("DejaVuSans.ttf", "ja"), 48)
    zh = load_font(face("DejaVuSans.ttf", "zh"), 48)
    ja_mask, _ = ja.getmask2("直骨", "L")
    zh_mask, _ = zh.getmask2("直骨", "L")
    assert bytes(ja_mask) != bytes(zh_mask)


def _ink(font: FallbackFont, text: str) -> np.ndarray:
    image = Image.new("L", (900, 120), 0)
    ImageDraw.Draw(image).text((10, 20), text, font=font, fill=255, anchor="la")
    return np.asarray(image, dtype=np.int16)


def test_right_to_left_runs_are_ordered_like_raqm(monkeypatch):
    """Split an Arabic line with Latin and digits into runs of the same font by force: the
    visually ordered runs must land where raqm's bidi puts them in one piece."""
    text = "مرحبا Python 3.11 والعالم"
    font = load_font("DejaVuSans.ttf@ar", 40)
    whole = _ink(font, text)  # DejaVu Sans covers all of it: raqm shapes it in one piece

    def split_by_script(line, files):
        runs, start = [], 0
        kinds = ["a" if "\u0600" <= ch <= "\u06ff" else "x" for ch in line]
        for i in range(1, len(line) + 1):
            if i == len(line) or kinds[i] != kinds[start]:
                runs.append((0 if kinds[start] == "a" else 1, line[start:i]))
                start = i
        return tuple(runs)

    split = FallbackFont(("DejaVuSans.ttf", "DejaVuSans.ttf"), 40, n_metric=1, language="ar")
    monkeypatch.setattr(fonts_module, "itemize", split_by_script)
    monkeypatch.setattr(FallbackFont, "_covering_font", lambda self, text: None)
    pieces = _ink(split, text)
    assert whole.sum() > 0
    columns_whole = np.flatnonzero(whole.max(axis=0) > 128)
    columns_split = np.flatnonzero(pieces.max(axis=0) > 128)
    assert abs(columns_whole[0] - columns_split[0]) <= 2
    assert abs(columns_whole[-1] - columns_split[-1]) <= 2
    assert np.abs(whole - pieces).mean() < 3.0


def test_bidi_levels():
    assert bidi_levels("abc") == [0, 0, 0]
    assert bidi_levels("אב") == [1, 1]
    levels = bidi_levels("אב 12 גד")
    assert levels[0] == 1 and levels[3] == 2 and levels[-1] == 1
    assert bidi_levels("abc אב def") == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]


# -- line breaking ----------------------------------------------------------------------------

NO_LINE_START = set("、。，．）」』】〕〉》ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ！？")
NO_LINE_END = set("（「『【〔〈《")


@pytest.mark.parametrize("language", ["ja", "zh"])
def test_cjk_lines_fit_and_respect_kinsoku(language):
    font = load_font(face("DejaVuSans.ttf", language), 30)
    text = SAMPLES[language][2] * 3
    for width in (150, 210, 333):
        lines = wrap_text(text, font, width)
        assert "".join(lines) == text
        assert len(lines) > 1
        for line in lines:
            assert font.getlength(line) <= width
        for line in lines[1:]:
            assert line[0] not in NO_LINE_START, (width, lines)
        for line in lines[:-1]:
            assert line[-1] not in NO_LINE_END, (width, lines)


def test_thai_breaks_between_words():
    font = load_font(face("DejaVuSans.ttf", "th"), 30)
    text = "เดคอเรเตอร์รับฟังก์ชันและคืนฟังก์ชันใหม่ที่ห่อหุ้มไว้"
    words = break_opportunities(text, "th")
    assert len(words) >= 6 and "".join(words) == text
    ends = set(np.cumsum([len(w) for w in words]))
    lines = wrap_text(text, font, 220)
    assert len(lines) > 1 and "".join(lines) == text
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in ends, lines  # never inside a word


def test_spaced_scripts_keep_the_word_wrap():
    assert no_space_script("Hello world, Привет, مرحبا, नमस्ते, 안녕하세요") is None
    assert break_opportunities("state-of-the-art tools") == ["state-of-the-art ", "tools"]
    font = load_font("DejaVuSans.ttf", 30)
    width = max(font.getlength("one two"), font.getlength("three four")) + 1
    assert wrap_text("one two three four", font, width) == ["one two", "three four"]


def test_captions_join_words_the_way_each_script_writes_them():
    words = [
        WordTiming("デコレーターは", 0.0, 0.5),
        WordTiming("関数を返します。", 0.5, 1.2),
        WordTiming("Pythonの", 1.3, 1.6),
        WordTiming("機能です", 1.6, 2.0),
    ]
    assert [cue.text for cue in cut_captions(words)] == [
        "デコレーターは関数を返します。",
        "Pythonの機能です",
    ]
    assert join_words(["ใช้", "ภาษา", "Python", "ได้"]) == "ใช้ภาษา Python ได้"
    assert join_words(["Hello", "world,", "Привет"]) == "Hello world, Привет"
    assert join_words(["Python", "の", "関数"]) == "Pythonの関数"


def test_cjk_and_thai_captions_break_into_readable_lines():
    from pipeline.i18n.scripts import display_len, written_tokens
    from pipeline.timeline import estimate_word_timings

    ja = "デコレーターは関数を受け取り、新しい関数を返します。"
    assert written_tokens(ja)[:3] == ["デコレーターは", "関数を", "受け取り、"]
    (cue,) = cut_captions(estimate_word_timings(ja, 4.0))
    assert cue.display_lines == ("デコレーターは関数を受け取り、", "新しい関数を返します。")
    assert all(display_len(line) <= 42 for line in cue.display_lines)
    thai = SAMPLES["th"][2] * 2
    cues = cut_captions(estimate_word_timings(thai, 8.0))
    assert "".join(line for cue in cues for line in cue.display_lines) == thai.replace(" ", "")
    assert all(display_len(line) <= 42 for cue in cues for line in cue.display_lines)


def test_arabic_caption_words_run_from_the_right():
    from pipeline.render.captions import CaptionLayer
    from pipeline.render.geometry import Rect
    from pipeline.timeline import estimate_word_timings

    text = SAMPLES["ar"][2]
    cues = cut_captions(estimate_word_timings(text, 4.0))
    layer = CaptionLayer(cues, Rect(0, 0, 1200, 200), font_set(Theme(), "ar"), 0.6)
    layout = layer._layout(0)
    first_row = [x for _, x, y in layout.words if y == layout.words[0][2]]
    assert len(first_row) > 2 and first_row == sorted(first_row, reverse=True)
    # Drawn word by word, the first line looks as raqm draws it whole.
    line = cues[0].display_lines[0]
    patch = np.asarray(Image.fromarray(layer._patch(0, -1)).convert("L"), dtype=np.int16)
    whole = Image.new("L", (layout.box_w, layout.box_h), 0)
    x0 = (layout.box_w - layout.font.getlength(line)) / 2
    ImageDraw.Draw(whole).text((x0, layout.words[0][2]), line, font=layout.font, fill=255)
    rows = slice(layout.words[0][2], layout.words[0][2] + layout.font.size)
    ink_words = np.flatnonzero((patch[rows] > 200).any(axis=0))
    ink_whole = np.flatnonzero((np.asarray(whole)[rows] > 200).any(axis=0))
    assert abs(int(ink_words[0]) - int(ink_whole[0])) <= 3
    assert abs(int(ink_words[-1]) - int(ink_whole[-1])) <= 3
