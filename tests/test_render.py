"""Scene renderers: reference frames, overflow, frame keys, captions, crossfade.

Reference frames live in ``tests/data/reference_frames/{scene_type}_{format}.png`` (formats
``16x9``, ``9x16``, ``1x1``), stored at half size. Each is the frame at ``t = 4.5 s`` of the
sample scene below, with every item revealed and a caption showing, downscaled 2× with a box
filter before comparing. After an intended change of the renderers' look, regenerate them with

    VIDEOSTUDIO_REGEN_FRAMES=1 pytest tests/test_render.py

(then bump ``RENDERER_VERSION`` and look at the new PNGs before committing; see
docs/rendering.md).
"""

from __future__ import annotations

import os
import time
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.adapters import load_document
from pipeline.avio import EncodeSettings, encode_segment, probe_encoder
from pipeline.errors import InputError
from pipeline.models import (
    MAX_CODE_TEXT,
    MAX_ITEMS,
    MAX_LONG_TEXT,
    MAX_SHORT_TEXT,
    NAMED_ACCENTS,
    SCENE_TYPES,
    AdScene,
    CheckpointScene,
    ClipScene,
    CodeComparisonScene,
    CommandScene,
    ExerciseScene,
    Infographic,
    LearningObjectivesScene,
    ListScene,
    OutroScene,
    ProblemScene,
    QuizScene,
    QuoteScene,
    SolutionScene,
    Theme,
    TitleScene,
    build_spec,
)
from pipeline.narration import narrate_scene, script_stage
from pipeline.render import CLIP_TIERS, RENDERER_VERSION, RENDERERS, make_renderer, min_display_s
from pipeline.render.base import RenderContext
from pipeline.render.code_highlight import (
    CONTINUATION,
    highlight,
    page_durations_s,
    paginate_code,
)
from pipeline.render.palette import contrast_ratio, make_palette
from pipeline.render.reading import BAND_ROLE
from pipeline.render.scenes.ad import TEXT_DEADLINE_S, text_reveal_s
from pipeline.render.scenes.code import classify_terminal
from pipeline.render.text_layout import fit_text
from pipeline.render.textlog import recording_text
from pipeline.speech.base import SpeechAudio, VoiceRef, WordTiming
from pipeline.speech.chain import SpeechEngine
from pipeline.subtitles import fold, is_sentence_end
from pipeline.timeline import Caption, SceneTiming, build_timeline

REFERENCE_DIR = Path(__file__).parent / "data" / "reference_frames"
REGEN = os.environ.get("VIDEOSTUDIO_REGEN_FRAMES") == "1"
FORMATS = {"16x9": (1920, 1080), "9x16": (1080, 1920), "1x1": (1080, 1080)}
FPS = 30
REFERENCE_T_S = 4.5
MAX_MEAN_DIFF = 1.5
MAX_BAD_FRACTION = 0.005
BAD_PIXEL_DIFF = 40

SAMPLES = {
    "title": TitleScene(
        title="Getting Started with Python Decorators", subtitle="A practical guide in ten minutes"
    ),
    "command": CommandScene(
        header="Install the tools",
        description="Create a virtual environment and install the package with pip.",
        commands=[
            "python -m venv .venv",
            "source .venv/bin/activate",
            "pip install 'videostudio[dev]'  # dev extras",
        ],
        language="bash",
    ),
    "list": ListScene(
        header="Why decorators?",
        description="Three reasons they keep code tidy.",
        items=[
            {"title": "Reuse", "description": "Wrap behaviour once, apply it anywhere"},
            {"title": "Readability", "description": "Intent is visible at the definition"},
            {"title": "Separation", "description": "Cross-cutting concerns stay out of logic"},
        ],
    ),
    "code_comparison": CodeComparisonScene(
        header="Timing a function",
        before_code=(
            "import time\n\ndef work():\n    start = time.time()\n    do_stuff()\n"
            "    print(time.time() - start)\n"
        ),
        after_code="@timed\ndef work():\n    do_stuff()\n",
        improvement="The timing logic lives in one reusable decorator.",
    ),
    "quote": QuoteScene(
        quote_text="Simple is better than complex. Complex is better than complicated.",
        attribution="Tim Peters",
        context="The Zen of Python",
    ),
    "outro": OutroScene(main_text="Thanks for watching!", sub_text="Subscribe for more tips"),
    "learning_objectives": LearningObjectivesScene(
        lesson_title="Decorators in depth",
        objectives=[
            "Explain what a decorator is",
            "Write a decorator with arguments",
            "Preserve metadata with functools.wraps",
            "Stack several decorators",
        ],
        duration_min=15,
        difficulty="Intermediate",
    ),
    "problem": ProblemScene(
        title="Count the words",
        problem_text=(
            "Write a function that takes a string and returns a dictionary mapping each word "
            "to the number of times it appears. Ignore case and punctuation."
        ),
        difficulty="Easy",
    ),
    "solution": SolutionScene(
        title="Counting with Counter",
        code=(
            "from collections import Counter\nimport re\n\n"
            "def count_words(text: str) -> dict[str, int]:\n"
            '    """Count words, ignoring case."""\n'
            '    words = re.findall(r"\\w+", text.lower())\n'
            "    return dict(Counter(words))\n"
        ),
        explanation="re.findall splits the text into words; Counter tallies them in one pass.",
    ),
    "quiz": QuizScene(
        question="What does functools.wraps do?",
        options=["Caches results", "Copies metadata", "Makes it async", "Nothing"],
        correct_index=1,
    ),
    "checkpoint": CheckpointScene(
        checkpoint_number=2,
        completed_topics=["Decorator basics", "Closures"],
        review_questions=["What is a closure?", "Why use wraps?"],
        next_topics=["Class decorators", "Context managers"],
    ),
    "exercise": ExerciseScene(
        title="Build a retry decorator",
        instructions=[
            "Accept a number of attempts",
            "Catch exceptions and retry",
            "Re-raise after the last attempt",
        ],
        difficulty="Medium",
        estimated_time="10 min",
        hints=["Use a loop inside the wrapper", "functools.wraps keeps the name"],
    ),
    "clip": ClipScene(
        prompt="Percentage-based budgeting animation. Income bars vary.",
        headline="Income varies, percentages don't",
        body="Budget 50/30/20 of whatever arrives this month.",
        infographic=Infographic(
            kind="bars",
            title="Monthly income",
            values=[2100, 3400, 2800, 4000, 2500],
            labels=["Jan", "Feb", "Mar", "Apr", "May"],
            unit="$",
        ),
    ),
    "ad": AdScene(
        role="hook", headline="Still scrubbing pans for hours?", body="There's a better way"
    ),
}


def make_timing(
    *,
    n_items: int = 3 * MAX_ITEMS,
    transition_in_s: float = 0.0,
    reveals: tuple[float, ...] | None = None,
    captions: tuple[Caption, ...] | None = None,
    n_frames: int = 150,
) -> SceneTiming:
    """A 5 s scene at 30 fps: items revealed every 0.1 s from 0.5 s, two caption cues."""
    if captions is None:
        captions = (
            Caption(0.4, 2.0, "Here is the first caption cue."),
            Caption(2.0, 4.9, "And a second, longer caption that needs two lines to fit."),
        )
    return SceneTiming(
        index=1 if transition_in_s else 0,
        start_s=0.0,
        n_frames=n_frames,
        fps=FPS,
        narration_offset_s=0.4,
        narration_duration_s=3.0,
        transition_in_s=transition_in_s,
        captions=captions,
        item_reveal_s=reveals
        if reveals is not None
        else tuple(0.5 + 0.1 * k for k in range(n_items)),
    )


def make_ctx(fmt: str, *, captions: bool = True, theme: Theme | None = None) -> RenderContext:
    width, height = FORMATS[fmt]
    return RenderContext(width, height, FPS, theme or Theme(), captions)


def half_size(frame: np.ndarray) -> Image.Image:
    """The frame downscaled 2× with a box filter, as stored in the reference PNGs."""
    return Image.fromarray(frame).reduce(2)


def test_registry_covers_every_scene_type():
    assert set(RENDERERS) == set(SCENE_TYPES)
    assert RENDERER_VERSION == "5"


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("scene_type", SCENE_TYPES)
def test_reference_frame(scene_type, fmt):
    renderer = make_renderer(SAMPLES[scene_type], make_ctx(fmt), make_timing())
    compare_reference(scene_type, fmt, renderer.frame_at(REFERENCE_T_S))


def compare_reference(name: str, fmt: str, frame: np.ndarray) -> None:
    """Compare ``frame`` with ``reference_frames/{name}_{fmt}.png`` (or write it in REGEN)."""
    scene_type = name
    assert frame.shape == (FORMATS[fmt][1], FORMATS[fmt][0], 3)
    assert frame.dtype == np.uint8 and frame.flags["C_CONTIGUOUS"]
    actual = half_size(frame)
    path = REFERENCE_DIR / f"{scene_type}_{fmt}.png"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        actual.save(path, optimize=True)
        return
    if not path.is_file():
        pytest.fail(
            f"reference frame {path} is missing; create it with "
            "VIDEOSTUDIO_REGEN_FRAMES=1 pytest tests/test_render.py (see docs/rendering.md)"
        )
    expected = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    got = np.asarray(actual, dtype=np.int16)
    assert got.shape == expected.shape
    diff = np.abs(got - expected).max(axis=2)
    mean = float(np.abs(got - expected).mean())
    bad = float((diff > BAD_PIXEL_DIFF).mean())
    if mean >= MAX_MEAN_DIFF or bad >= MAX_BAD_FRACTION:
        out = Path(os.environ.get("TMPDIR", "/tmp")) / f"actual_{scene_type}_{fmt}.png"
        actual.save(out)
        pytest.fail(
            f"{scene_type} {fmt} differs from its reference: mean {mean:.2f}, "
            f"{bad:.3%} pixels off by > {BAD_PIXEL_DIFF}; actual frame saved to {out}. "
            "If the change is intended, regenerate with VIDEOSTUDIO_REGEN_FRAMES=1."
        )


# -- overflow -------------------------------------------------------------------------------

LONG_WORD = "W" * MAX_SHORT_TEXT


def long_text(n: int) -> str:
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit".split()
    text = " ".join(words[i % len(words)] for i in range(n // 4))
    return (text + " " + "X" * 300 + " " + text)[:n]


def long_code() -> str:
    line = "\tdef function_with_a_very_long_name(argument_one, argument_two):  # " + "c" * 60
    return "\n".join([line] * (MAX_CODE_TEXT // len(line) + 1))[:MAX_CODE_TEXT]


SHORT = long_text(MAX_SHORT_TEXT)
LONG = long_text(MAX_LONG_TEXT)
SHORTS = [SHORT if k % 2 else LONG_WORD for k in range(MAX_ITEMS)]

OVERFLOW_SCENES = {
    "title": TitleScene(title=LONG_WORD, subtitle=SHORT),
    "command": CommandScene(header=SHORT, description=LONG, commands=SHORTS, language="nope"),
    "list": ListScene(
        header=LONG_WORD,
        description=LONG,
        items=[{"title": s, "description": LONG_WORD} for s in SHORTS],
    ),
    "code_comparison": CodeComparisonScene(
        header=SHORT,
        before_code=long_code(),
        after_code="x" * MAX_CODE_TEXT,
        before_label=LONG_WORD,
        after_label=SHORT,
        improvement=LONG,
    ),
    "quote": QuoteScene(quote_text=LONG, attribution=LONG_WORD, context=SHORT),
    "outro": OutroScene(main_text=SHORT, sub_text=LONG_WORD),
    "learning_objectives": LearningObjectivesScene(
        lesson_title=SHORT, objectives=SHORTS, duration_min=10_000, difficulty=LONG_WORD
    ),
    "problem": ProblemScene(title=LONG_WORD, problem_text=LONG, difficulty=SHORT),
    "solution": SolutionScene(title=SHORT, code=long_code(), explanation=LONG, language=SHORT),
    "quiz": QuizScene(question=LONG, options=SHORTS[:6], correct_index=5),
    "checkpoint": CheckpointScene(
        checkpoint_number=999,
        completed_topics=SHORTS,
        review_questions=SHORTS,
        next_topics=SHORTS,
    ),
    "exercise": ExerciseScene(
        title=SHORT,
        instructions=SHORTS,
        difficulty=LONG_WORD,
        estimated_time=SHORT,
        hints=SHORTS,
    ),
    "clip": ClipScene(
        prompt=LONG,
        headline=LONG_WORD,
        body=LONG,
        infographic=Infographic(kind="bars", title=SHORT, values=list(range(12)), labels=SHORTS),
    ),
    "ad": AdScene(role="cta", headline=SHORT, body=LONG_WORD),
}


def outside_safe_mask(renderer) -> np.ndarray:
    """True for pixels in the margin band, excluding the decorations' rectangles."""
    h, w = renderer.ctx.height_px, renderer.ctx.width_px
    mask = np.ones((h, w), dtype=bool)
    safe = renderer.safe
    mask[safe.y : safe.bottom, safe.x : safe.right] = False
    for rect in renderer.decorations:
        mask[max(0, rect.y) : max(0, rect.bottom), max(0, rect.x) : max(0, rect.right)] = False
    return mask


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("scene_type", SCENE_TYPES)
def test_long_text_stays_inside_safe_area(scene_type, fmt):
    theme = Theme(dark=fmt == "1x1", font_family="serif" if fmt == "9x16" else "sans")
    renderer = make_renderer(OVERFLOW_SCENES[scene_type], make_ctx(fmt, theme=theme), make_timing())
    mask = outside_safe_mask(renderer)
    background = np.array(renderer.background_rgb, dtype=np.uint8)
    assert mask.mean() > 0.05  # the band is really checked
    for frame in (renderer.thumbnail(), renderer.frame_at(REFERENCE_T_S), renderer.final_frame()):
        stray = np.any(frame[mask] != background, axis=1)
        assert not stray.any(), f"{int(stray.sum())} pixels drawn in the margin band"
        inside = frame[
            renderer.safe.y : renderer.safe.bottom, renderer.safe.x : renderer.safe.right
        ]
        assert np.any(inside != background)  # something was drawn


def test_fit_text_never_exceeds_its_box():
    for box_w, box_h in [(300, 80), (50, 500), (900, 30), (10, 10)]:
        block = fit_text(LONG, "DejaVuSans.ttf", box_w, box_h, max_px=60, min_px=14)
        assert block.height_px <= box_h
        assert all(block.font.getlength(line) <= box_w for line in block.lines)
        assert block.truncated or not block.lines or block.lines[-1] != ""
    short = fit_text("Hi", "DejaVuSans-Bold.ttf", 800, 400, max_px=90, min_px=10)
    assert short.size_px == 90 and not short.truncated


def test_a_long_word_is_kept_whole_when_a_size_allows_else_hyphenated():
    title = "Understanding Internet Infrastructure"
    # 9:16's title box: at 90 px "Infrastructure" would not fit a line; a smaller size keeps it.
    block = fit_text(title, "DejaVuSans-Bold.ttf", 560, 500, max_px=90, min_px=40)
    assert "Infrastructure" in block.lines and not block.truncated
    assert all(block.font.getlength(line) <= 560 for line in block.lines)
    # When even the smallest size cannot hold it, the cut is marked with a hyphen.
    narrow = fit_text("Infrastructure", "DejaVuSans-Bold.ttf", 300, 400, max_px=60, min_px=60)
    assert len(narrow.lines) > 1 and narrow.lines[0].endswith("-")
    assert "".join(line.removesuffix("-") for line in narrow.lines) == "Infrastructure"
    assert all(narrow.font.getlength(line) <= 300 for line in narrow.lines)
    # Digits and symbols are cut without one (no letter on both sides).
    code = fit_text("0123456789012345678901234", "DejaVuSans.ttf", 200, 400, max_px=40, min_px=40)
    assert not any(line.endswith("-") for line in code.lines)


def test_code_wraps_and_pages_instead_of_clipping_and_unknown_language_falls_back():
    lines = highlight(long_code(), "no-such-language", (200, 200, 200))
    assert "\t" not in "".join(text for line in lines for text, _ in line)
    layout = paginate_code(lines, 600, 300, max_px=30, min_px=24, marker=(1, 2, 3))
    assert layout.font.size == 24 and len(layout.pages) > 1
    rows = [row for page in layout.pages for row in page]
    assert all(sum(len(t) for t, _ in row) * layout.char_w <= 600 for row in rows)
    assert any(row[0] == (CONTINUATION, (1, 2, 3)) for row in rows)  # wrapped, marked
    drawn = "".join(t for row in rows for t, _ in row if t != CONTINUATION)
    assert drawn == "".join(t for line in lines for t, _ in line)  # nothing cut
    assert sum(layout.lines_per_page) == len(lines)
    assert all(layout.height_px(k) <= 300 for k in range(len(layout.pages)))
    assert page_durations_s((3, 30)) == [5.0, 12.0]
    assert page_durations_s((3, 30), total_s=34.0) == pytest.approx([10.0, 24.0])
    python = highlight("def f():\n    return 1\n", "python", (200, 200, 200))
    assert len({color for line in python for _, color in line}) > 2  # really coloured


# -- frame keys, captions, crossfade, reveals ---------------------------------------------------


def test_frame_keys_match_pixels_and_reveals_change_them():
    reveals = (1.0, 2.0, 3.0)
    renderer = make_renderer(SAMPLES["list"], make_ctx("16x9"), make_timing(reveals=reveals))
    times = [i / FPS for i in range(0, 150, 3)] + [0.999, 1.0, 1.001, 2.0, 2.95]
    frames: dict[object, np.ndarray] = {}
    for t in times:
        key = renderer.frame_key(t)
        frame = renderer.frame_at(t)
        if key in frames:
            assert np.array_equal(frames[key], frame), f"same key, different pixels at t={t}"
        frames[key] = frame
    for reveal in reveals:
        before, after = reveal - 1 / FPS, reveal + 0.5
        assert renderer.frame_key(before) != renderer.frame_key(after)
        assert not np.array_equal(renderer.frame_at(before), renderer.frame_at(after))
    # Between reveals and caption changes nothing moves: one key (the reading band of the
    # second item's description has faded out by 2.6 s).
    assert renderer.frame_key(2.6) == renderer.frame_key(2.9)
    assert len({renderer.frame_key(i / FPS) for i in range(150)}) < 90


def test_captions_only_when_enabled():
    timing = make_timing()
    on = make_renderer(SAMPLES["outro"], make_ctx("9x16", captions=True), timing)
    off = make_renderer(SAMPLES["outro"], make_ctx("9x16", captions=False), timing)
    t_caption, t_gap = 3.0, 4.95  # a cue shows at 3.0 s; none after 4.9 s
    assert not np.array_equal(on.frame_at(t_caption), on.frame_at(t_gap))
    assert on.frame_key(t_caption) != on.frame_key(1.0)  # different cue
    assert np.array_equal(off.frame_at(t_caption), off.frame_at(t_gap))
    assert np.array_equal(off.frame_at(t_caption), off.thumbnail())
    assert np.array_equal(on.final_frame(), on.thumbnail())  # no caption on the final frame


def test_crossfade_from_previous_scene():
    ctx = make_ctx("1x1")
    first = make_renderer(SAMPLES["title"], ctx, make_timing())
    previous = first.final_frame()
    timing = make_timing(transition_in_s=0.5, reveals=(0.0,) * 6, captions=())
    second = make_renderer(SAMPLES["checkpoint"], ctx, timing, previous_final=previous)
    assert np.abs(second.frame_at(0.0).astype(int) - previous).max() <= 1
    middle = second.frame_at(0.25)
    assert not np.array_equal(middle, previous) and not np.array_equal(middle, second.thumbnail())
    assert np.array_equal(second.frame_at(0.5), second.thumbnail())
    assert not np.array_equal(second.frame_at(0.5), previous)
    with pytest.raises(ValueError, match="previous_final"):
        make_renderer(SAMPLES["quote"], ctx, timing, previous_final=previous[:10])


@pytest.mark.parametrize("kind", ["list", "command", "quiz", "quote"])
@pytest.mark.parametrize("fmt", ["16x9", "9x16"])
def test_crossfade_on_its_box_equals_the_whole_frame_crossfade(kind, fmt):
    """The crossfade blends only the box where the two scenes can differ; every frame of it,
    with items sliding in and captions on, must equal the whole-frame blend."""
    from pipeline.render.compositing import crossfade

    ctx = make_ctx(fmt)
    previous = make_renderer(SAMPLES["title"], ctx, make_timing()).final_frame()
    timing = make_timing(transition_in_s=1.0, reveals=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6))
    boxed = make_renderer(SAMPLES[kind], ctx, timing, previous_final=previous)
    plain = make_renderer(SAMPLES[kind], ctx, timing)  # the same scene, no crossfade
    rows, cols = boxed._fade_box
    assert (rows.stop - rows.start) * (cols.stop - cols.start) < ctx.width_px * ctx.height_px
    for frame_index in range(0, 30, 3):
        t_s = frame_index / FPS
        weight = round(256 * frame_index / 30)
        expected = crossfade(previous, plain._render(plain._state(t_s, captions=False)), weight)
        without_captions = boxed._render(boxed._state(t_s, captions=False))
        np.testing.assert_array_equal(without_captions, expected)


def test_quiz_answer_appears_after_narration():
    timing = make_timing(reveals=(0.5, 0.6, 0.7, 0.8), captions=())  # narration ends at 3.4 s
    renderer = make_renderer(SAMPLES["quiz"], make_ctx("16x9"), timing)
    assert np.array_equal(renderer.frame_at(3.3), renderer.thumbnail())
    assert not np.array_equal(renderer.frame_at(4.0), renderer.thumbnail())
    hidden = QuizScene(**{**SAMPLES["quiz"].model_dump(), "show_answer": False})
    quiet = make_renderer(hidden, make_ctx("16x9"), timing)
    assert np.array_equal(quiet.frame_at(4.0), quiet.thumbnail())


def test_title_fades_in():
    renderer = make_renderer(SAMPLES["title"], make_ctx("16x9", captions=False), make_timing())
    first, later = renderer.frame_at(0.0), renderer.frame_at(2.0)
    background = np.array(renderer.background_rgb, dtype=np.uint8)
    centre = (slice(400, 700), slice(400, 1500))
    assert (
        np.abs(first[centre].astype(int) - background).sum()
        < np.abs(later[centre].astype(int) - background).sum()
    )


def test_speed_budget():
    """Setup, a cached static frame and an animated frame stay within generous budgets."""
    ctx = make_ctx("16x9")
    start = time.perf_counter()
    renderer = make_renderer(SAMPLES["list"], ctx, make_timing(reveals=(1.0, 2.0, 3.0)))
    setup_s = time.perf_counter() - start
    renderer.frame_at(2.5)
    start = time.perf_counter()
    for i in range(10):
        renderer.frame_at(1.0 + i / FPS)  # fading in
    animated_s = (time.perf_counter() - start) / 10
    assert setup_s < 1.0 and animated_s < 0.1  # loose: CI machines vary; see docs/rendering.md


# -- clip and ad scenes -----------------------------------------------------------------------

KIND_SAMPLES = {
    "meter": Infographic(
        kind="meter", title="Credit utilization", values=[0.28], labels=["of your limit"]
    ),
    "bars": SAMPLES["clip"].infographic,
    "pie": Infographic(
        kind="pie", title="50/30/20", values=[50, 30, 20], labels=["Needs", "Wants", "Savings"]
    ),
    "progress": Infographic(
        kind="progress", title="Emergency fund", values=[0.65], labels=["3.9 of 6 months"]
    ),
    "calendar": Infographic(
        kind="calendar",
        title="Due dates",
        values=[1, 5, 15, 22, 28],
        labels=["Rent", "Phone", "Card", "Gym", "Loan"],
    ),
}
MID_ANIMATION_T_S = 1.2  # the narration (and the animation) starts at 0.4 s


def clip_scene(kind: str | None, **extra) -> ClipScene:
    return ClipScene(
        prompt="Educational animation.",
        headline=extra.pop("headline", "Keep utilization under 30%"),
        body=extra.pop("body", "Lower utilization helps your score."),
        infographic=extra.pop("infographic", KIND_SAMPLES[kind] if kind else None),
        **extra,
    )


class SyntheticClip:
    """A fake decoded AI clip: a gradient with a bright square moving 12 px per frame."""

    def __init__(self, width: int, height: int, *, shape: tuple[int, ...] | None = None) -> None:
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([(x * 255 // width), (y * 255 // height), np.full_like(x, 90)], axis=2)
        self.base = base.astype(np.uint8)
        self.shape = shape
        self.calls = 0

    def frame_key(self, t_s: float):
        return round(t_s * FPS)

    def frame_at(self, t_s: float) -> np.ndarray:
        self.calls += 1
        if self.shape is not None:
            return np.zeros(self.shape, dtype=np.uint8)
        frame = self.base.copy()
        x = 40 + 12 * round(t_s * FPS)
        frame[100:220, x : x + 120] = 255
        return frame


def product_png(path: Path, size: tuple[int, int] = (600, 800)) -> Path:
    """A deterministic product shot: an orange bottle on a transparent background."""
    from PIL import ImageDraw

    w, h = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((w * 0.2, h * 0.25, w * 0.8, h * 0.95), radius=w // 10, fill=(234, 118, 42, 255))  # fmt: skip
    draw.rectangle((w * 0.38, h * 0.05, w * 0.62, h * 0.27), fill=(40, 40, 48, 255))
    draw.rectangle((w * 0.25, h * 0.5, w * 0.75, h * 0.7), fill=(255, 255, 255, 255))
    image.save(path)
    return path


EXTRA_REFERENCES = (
    [("clip_text_card", fmt) for fmt in FORMATS]
    + [("clip_bars_mid", fmt) for fmt in FORMATS]
    + [
        ("clip_meter_mid", "16x9"),
        ("clip_pie_mid", "9x16"),
        ("clip_progress_mid", "1x1"),
        ("clip_calendar_mid", "16x9"),
        ("clip_calendar_mid", "9x16"),
        ("clip_ai", "9x16"),
        ("ad_benefit", "9x16"),
    ]
    + [("ad_hook_product", fmt) for fmt in FORMATS]
    + [("ad_cta_product", fmt) for fmt in FORMATS]
)


@pytest.mark.parametrize(("name", "fmt"), EXTRA_REFERENCES)
def test_reference_frame_clip_and_ad(name, fmt, tmp_path):
    """Clip tiers (text card, each chart mid-animation, AI clip) and ad roles with a product."""
    ctx = make_ctx(fmt)
    timing = make_timing()
    t = REFERENCE_T_S
    if name == "clip_text_card":
        renderer = make_renderer(clip_scene(None), ctx, timing)
        assert renderer.tier == "text_card"
    elif name == "clip_ai":
        source = SyntheticClip(*FORMATS[fmt])
        renderer = make_renderer(clip_scene("meter"), ctx, timing, tier="ai_clip", clip_source=source)  # fmt: skip
        assert renderer.tier == "ai_clip"
        t = 1.0
    elif name.startswith("clip_"):
        kind = name.split("_")[1]
        renderer = make_renderer(clip_scene(kind), ctx, timing)
        assert renderer.tier == "infographic"
        t = MID_ANIMATION_T_S
    else:
        role = name.split("_")[1]
        image = str(product_png(tmp_path / "product.png")) if name.endswith("product") else None
        headline = {"hook": "Still scrubbing for hours?", "cta": "Shop GlowBrush now"}
        scene = AdScene(
            role=role,
            headline=headline.get(role, "Cleans in 30 seconds"),
            body="Free shipping today",
            image_path=image,
        )
        renderer = make_renderer(scene, ctx, timing)
    compare_reference(name, fmt, renderer.frame_at(t))


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", [*KIND_SAMPLES, "text_card", *(f"ad_{r}" for r in ("hook", "problem", "reveal", "benefit", "proof", "offer", "cta"))])  # fmt: skip
def test_clip_and_ad_long_text_stays_inside_safe_area(case, fmt, tmp_path):
    """Every chart kind, the text card and every ad look, with maximal texts."""
    theme = Theme(dark=fmt == "1x1", font_family="serif" if fmt == "9x16" else "sans")
    if case.startswith("ad_"):
        wide = product_png(tmp_path / "wide.png", (1600, 90))
        scene = AdScene(role=case[3:], headline=SHORT, body=LONG_WORD, image_path=str(wide))
    elif case == "text_card":
        scene = ClipScene(prompt="p", headline=SHORT, body=LONG)
    else:
        info = KIND_SAMPLES[case]
        n = len(info.values)
        long_info = info.model_copy(update={"title": LONG_WORD, "labels": SHORTS[:n]})
        scene = ClipScene(prompt="p", headline=LONG_WORD, body=LONG, infographic=long_info)
    renderer = make_renderer(scene, make_ctx(fmt, theme=theme), make_timing())
    mask = outside_safe_mask(renderer)
    background = np.array(renderer.background_rgb, dtype=np.uint8)
    for frame in (
        renderer.thumbnail(),
        renderer.frame_at(MID_ANIMATION_T_S),
        renderer.frame_at(REFERENCE_T_S),
        renderer.final_frame(),
    ):
        stray = np.any(frame[mask] != background, axis=1)
        assert not stray.any(), f"{int(stray.sum())} pixels drawn in the margin band"


def assert_keys_match_pixels(renderer, n_frames: int = 150) -> dict:
    frames: dict[object, np.ndarray] = {}
    for i in range(n_frames):
        t = i / FPS
        key, frame = renderer.frame_key(t), renderer.frame_at(t)
        if key in frames:
            assert np.array_equal(frames[key], frame), f"same key, different pixels at t={t}"
        frames[key] = frame
    return frames


@pytest.mark.parametrize("kind", list(KIND_SAMPLES))
def test_infographic_animates_then_reuses_frames(kind):
    renderer = make_renderer(clip_scene(kind), make_ctx("16x9"), make_timing())
    frames = assert_keys_match_pixels(renderer)
    # Animating: consecutive frames in the animation differ.
    a, b = renderer.frame_at(1.0), renderer.frame_at(1.0 + 1 / FPS)
    assert renderer.frame_key(1.0) != renderer.frame_key(1.0 + 1 / FPS)
    assert not np.array_equal(a, b)
    # Before the narration the chart is at step 0; after the animation it is settled.
    assert renderer.frame_key(0.0) == renderer.frame_key(0.3)
    assert renderer.frame_key(2.9) == renderer.frame_key(4.8)  # one caption cue, static tail
    assert len(frames) < 90
    assert not np.array_equal(renderer.thumbnail(), renderer.frame_at(0.0))
    off = make_renderer(clip_scene(kind), make_ctx("16x9", captions=False), make_timing())
    assert np.array_equal(off.frame_at(4.0), off.thumbnail())
    assert np.array_equal(off.final_frame(), off.thumbnail())


def test_text_card_is_static():
    renderer = make_renderer(clip_scene(None), make_ctx("9x16"), make_timing())
    assert renderer.tier == "text_card"
    frames = assert_keys_match_pixels(renderer)
    assert len(frames) == 3  # no caption, first cue, second cue


def test_ai_clip_tier_draws_every_source_frame_with_the_headline():
    w, h = FORMATS["16x9"]
    source = SyntheticClip(w, h)
    renderer = make_renderer(
        clip_scene("bars"), make_ctx("16x9", captions=False), make_timing(), tier="ai_clip",
        clip_source=source,
    )  # fmt: skip
    assert renderer.tier == "ai_clip"
    keys = [renderer.frame_key(i / FPS) for i in range(150)]
    assert len(set(keys)) == 150  # video changes every frame: every index is its own key
    assert renderer.frame_key(10 / FPS) == renderer.frame_key(10.4 / FPS)  # same frame index
    assert_keys_match_pixels(renderer, 40)
    frame = renderer.frame_at(5 / FPS)
    expected = source.frame_at(5 / FPS)
    assert np.array_equal(frame[: h // 2], expected[: h // 2])  # the top is the clip itself
    bottom = (slice(h - 200, h - 60), slice(0, w))
    assert frame[bottom].mean() < expected[bottom].mean() - 20  # darkened by the gradient
    assert np.any(frame[bottom] > 240)  # white headline


def test_clip_tier_selection_and_early_errors():
    ctx, timing = make_ctx("1x1"), make_timing()
    assert CLIP_TIERS == ("ai_clip", "infographic", "text_card")
    assert make_renderer(clip_scene("pie"), ctx, timing).tier == "infographic"
    assert make_renderer(clip_scene("pie"), ctx, timing, tier="text_card").tier == "text_card"
    assert make_renderer(clip_scene(None), ctx, timing).tier == "text_card"
    with pytest.raises(ValueError, match="unknown clip tier 'sora'"):
        make_renderer(clip_scene("pie"), ctx, timing, tier="sora")
    with pytest.raises(ValueError, match="needs a clip_source"):
        make_renderer(clip_scene("pie"), ctx, timing, tier="ai_clip")
    with pytest.raises(ValueError, match="needs scene.infographic"):
        make_renderer(clip_scene(None), ctx, timing, tier="infographic")
    with pytest.raises(ValueError, match="clip_source frames must be uint8"):
        make_renderer(
            clip_scene(None), ctx, timing, tier="ai_clip", clip_source=SyntheticClip(8, 8)
        )
    bad_calendar = Infographic(kind="calendar", values=[3, 32])
    with pytest.raises(InputError, match="whole numbers 1–31") as info:
        make_renderer(clip_scene(None, infographic=bad_calendar), ctx, timing)
    assert "text card" in info.value.hint
    zero_pie = Infographic(kind="pie", values=[0, 0])
    with pytest.raises(ValueError, match="at least one value above 0"):
        make_renderer(clip_scene(None, infographic=zero_pie), ctx, timing)
    two_meters = Infographic(kind="meter", values=[0.2, 0.4])
    with pytest.raises(ValueError, match="exactly one value"):
        make_renderer(clip_scene(None, infographic=two_meters), ctx, timing)
    # Other scene types ignore the clip keywords.
    title = make_renderer(SAMPLES["title"], ctx, timing, tier="ai_clip", clip_source=None)
    assert title.scene_type == "title"


def visible(region: np.ndarray, background: np.ndarray) -> float:
    """Fraction of pixels in ``region`` that differ from the background."""
    return float(np.any(region != background, axis=2).mean())


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("offset_s", [0.4, 0.8, 2.0])
def test_ad_product_from_first_frame_and_text_within_first_second(fmt, offset_s, tmp_path):
    image = product_png(tmp_path / "p.png")
    scene = AdScene(
        role="hook", headline="Still scrubbing?", body="Try this", image_path=str(image)
    )
    timing = SceneTiming(
        index=0, start_s=0.0, n_frames=75, fps=FPS, narration_offset_s=offset_s,
        narration_duration_s=1.4, transition_in_s=0.0,
    )  # fmt: skip
    renderer = make_renderer(scene, make_ctx(fmt, captions=False), timing)
    settled = renderer.thumbnail()
    background = np.array(renderer.background_rgb, dtype=np.uint8)
    first = renderer.frame_at(0.0)
    changed = np.any(settled != first, axis=2)  # where the text is
    assert changed.any()
    # The product is on screen at t = 0: the static layer is far from a flat background.
    assert visible(first, background) > 0.04  # 9:16 keeps clear of the platform UI zones
    # The text: hidden until text_lead_s before the voice, fully shown by then + fade, <= 1 s.
    reveal = text_reveal_s(scene, offset_s)
    assert reveal == pytest.approx(min(offset_s - 0.3, TEXT_DEADLINE_S - 0.15))
    if reveal > 1 / FPS:
        assert np.array_equal(renderer.frame_at(reveal - 1.5 / FPS), first)
    assert np.array_equal(renderer.frame_at(TEXT_DEADLINE_S), settled)
    assert np.array_equal(renderer.frame_at(min(reveal + 0.2, TEXT_DEADLINE_S)), settled)


def test_ad_invalid_product_image_fails_in_make_renderer(tmp_path):
    gif = tmp_path / "p.png"
    Image.new("P", (10, 10)).save(gif, format="GIF")
    scene = AdScene(role="demo", headline="Look", image_path=str(gif))
    with pytest.raises(InputError, match="GIF"):
        make_renderer(scene, make_ctx("9x16"), make_timing())


def test_ad_frame_keys_match_pixels_and_settle(tmp_path):
    scene = AdScene(role="cta", headline="Shop now", image_path=str(product_png(tmp_path / "p.png")))  # fmt: skip
    renderer = make_renderer(scene, make_ctx("9x16"), make_timing())
    frames = assert_keys_match_pixels(renderer)
    assert len(frames) < 12


def test_infographic_speed_budget():
    renderer = make_renderer(clip_scene("pie"), make_ctx("16x9"), make_timing())
    start = time.perf_counter()
    for i in range(10):
        renderer.frame_at(0.6 + i / FPS)
    assert (time.perf_counter() - start) / 10 < 0.15  # loose, see docs/rendering.md


# -- text size and contrast ---------------------------------------------------------------


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_all_text_meets_wcag_aa_contrast_in_every_theme_and_accent(dark):
    """Every text every renderer draws, in every named accent, reaches WCAG AA contrast
    against the colour under it (4.5:1; 3:1 for bold text of 24 px or more). Drawn at a small
    frame size, where no text counts as large: stricter than the real frames."""
    failures = []
    for accent in NAMED_ACCENTS:
        theme = Theme(accent_color=accent, dark=dark)
        ctx = RenderContext(480, 270, FPS, theme, True)
        for scene_type, scene in SAMPLES.items():
            with recording_text() as records:
                make_renderer(scene, ctx, make_timing())
            assert records, f"{scene_type} drew no text"
            failures += [
                f"{accent} {scene_type} {r.text[:24]!r}: {r.contrast:.2f}:1 {r.fill} on "
                f"{r.background}"
                for r in records
                if r.contrast < r.required_contrast
            ]
    assert not failures, "\n".join(failures)


def test_cyan_accent_pill_is_readable():
    palette = make_palette(Theme(accent_color="cyan"))
    assert contrast_ratio(palette.on_accent, palette.accent_fill) >= 4.5
    assert contrast_ratio(palette.accent_text, palette.background) >= 4.5


# -- code and commands ----------------------------------------------------------------------


def test_terminal_lines_keep_their_prompts_and_style_comments_and_output():
    lines = classify_terminal(
        ["$ pip install av", "# a comment", "→ Successfully installed", "ls -la \\", "  /tmp"],
        "bash",
    )
    assert [(line.kind, line.prompt) for line in lines] == [
        ("command", "$ "),
        ("comment", ""),
        ("output", ""),
        ("output", ""),  # a session with prompts: unprompted lines are output
        ("output", ""),
    ]
    plain = classify_terminal(["pip install av", "# then", "python -m av --version"], "bash")
    assert [(line.kind, line.prompt) for line in plain] == [
        ("command", "$ "),
        ("comment", ""),
        ("command", "$ "),
    ]
    ps = classify_terminal(["PS C:\\> Get-Item x", "Get-Item y"], "powershell")
    assert ps[0].prompt == "PS C:\\> " and ps[0].text == "Get-Item x"
    wrapped = classify_terminal(["docker run \\", "  --rm image"], "bash")
    assert [line.kind for line in wrapped] == ["command", "continuation"]


def test_command_scene_never_doubles_a_prompt_and_shows_commands_from_the_start():
    scene = CommandScene(
        header="Install",
        commands=["$ pip install av", "# check it", "$ python -c 'import av'"],
        language="bash",
    )
    with recording_text() as records:
        renderer = make_renderer(scene, make_ctx("16x9", captions=False), make_timing())
    code = [r.text for r in records if r.role == "code"]
    assert "$ " in code and not any(text.startswith("$ $") for text in code)
    for before, after in pairwise(code):  # a prompt run is never followed by another prompt
        assert not (before == "$ " and after.lstrip().startswith(("$", "#")))
    assert "# check it" in code  # a comment, drawn without a prompt
    # Commands are on screen from the first second, not when the narration names them.
    settled = renderer.thumbnail()
    early = renderer.frame_at(0.6)
    assert np.abs(early.astype(int) - settled).mean() < 1.0


def long_python(n_lines: int) -> str:
    body = [
        f"    total += compute_value_number_{k}(argument, other_argument)" for k in range(n_lines)
    ]
    return "def run(argument, other_argument):\n    total = 0\n" + "\n".join(body) + "\n"


@pytest.mark.parametrize("fmt", ["16x9", "9x16"])
def test_long_code_is_paged_at_a_readable_size_never_cut(fmt):
    ctx = make_ctx(fmt, captions=False)
    scene = SolutionScene(title="A long function", code=long_python(60), language="pycon")
    needed = min_display_s(scene, ctx)
    with recording_text() as records:
        renderer = make_renderer(scene, ctx, make_timing(n_frames=round(needed * FPS)))
    code = [r for r in records if r.role == "code"]
    scale = FORMATS[fmt][1] / 1080 if fmt == "16x9" else 1.0
    assert min(r.size_px for r in code) >= 24 * scale  # at least 24 px at 1080
    assert not any(r.cut for r in records)  # nothing cut with an ellipsis
    drawn = "".join(r.text for r in code)
    assert all(f"compute_value_number_{k}(" in drawn.replace("↪ ", "") for k in range(0, 60, 7))
    labels = [r.text for r in records if r.role != "code"]
    assert "PYTHON" in labels and "Python" in labels and "SOLUTION" not in labels
    # Several pages, each at least 5 s and 0.4 s per line: the scene must allow it.
    pages = renderer.min_display_s / 5.0
    assert pages >= 2 and needed == renderer.min_display_s
    first, later = renderer.frame_at(1.0), renderer.frame_at(needed - 1.0)
    assert not np.array_equal(first, later)  # a later page is showing


def test_timeline_gives_code_scenes_their_minimum_duration():
    spec = build_spec(
        {
            "title": "T",
            "scenes": [{"scene_type": "solution", "title": "S", "code": long_python(60)}],
        }
    )
    audio = SpeechAudio(samples=np.zeros(48_000, dtype=np.float32), provider="test")
    plain = build_timeline(spec, [audio], ["Short."])
    paced = build_timeline(spec, [audio], ["Short."], min_durations_s=[23.0])
    assert plain.scenes[0].duration_s < 5 <= 23.0 <= paced.scenes[0].duration_s


def test_narration_names_the_language():
    scene = SolutionScene(title="Counting", code="print(1)\n", language="pycon")
    assert "Here is the Python code." in narrate_scene(scene)


# -- motion on a real document ----------------------------------------------------------------

FREEZE_NOISE = 0.001  # FFmpeg freezedetect's default noise (-60 dB), as a fraction of full scale


def longest_still_s(path: Path) -> float:
    """Longest run of frames whose luma stays within the noise of the run's first frame."""
    longest = run = 0
    reference = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        for frame in container.decode(stream):
            luma = frame.to_ndarray(format="gray").astype(np.int16)
            if reference is not None and np.abs(luma - reference).mean() / 256 <= FREEZE_NOISE:
                run += 1
            else:
                reference, run = luma, 1
            longest = max(longest, run)
    return longest / fps


@pytest.mark.slow
def test_long_paragraph_of_a_real_document_has_no_still_over_8_s(corpus_dir, tmp_path):
    """The longest paragraph scene of a real guide, spoken by eSpeak NG, drawn (at a small
    frame size), encoded and decoded: its text is on screen in step, nothing is cut, no frame
    stays unchanged for more than 8 s, and no caption runs across a sentence end."""
    spec = load_document(corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md")
    narrations = script_stage(spec)
    index = max(
        (i for i, s in enumerate(spec.scenes) if s.scene_type == "title"),
        key=lambda i: len(narrations[i]),
    )
    scene = spec.scenes[index]
    text = narrations[index]
    assert len(text.split()) > 120  # really a long paragraph scene
    one = spec.model_copy(update={"scenes": [scene]})
    audio = SpeechEngine(mode="offline").synthesize(text, VoiceRef(language=spec.language))
    timing = build_timeline(one, [audio], [text]).scenes[0]
    assert timing.duration_s > 40
    ctx = RenderContext(384, 216, FPS, spec.theme, False)
    with recording_text() as records:
        renderer = make_renderer(scene, ctx, timing)
    assert not any(r.cut for r in records)
    shown = " ".join(r.text for r in records if r.role != BAND_ROLE)
    body = text.split(" ", len(scene.title.split()))[-1]  # the narration after the heading
    assert fold(body) in fold(shown)  # every spoken word is on screen
    out = tmp_path / "scene.mp4"
    settings = EncodeSettings(width_px=384, height_px=216, fps=FPS)
    encode_segment(renderer, timing.n_frames, settings, probe_encoder("x264"), out)
    assert longest_still_s(out) <= 8.0
    for cue in timing.captions:
        assert not any(is_sentence_end(w) for w in cue.text.split()[:-1]), cue.text


@pytest.mark.slow
def test_list_item_read_for_long_keeps_moving_without_captions(corpus_dir, tmp_path):
    """The guide's "ADSL" list, whose last item Piper reads for ~10 s (frequencies), in
    16:9 without burned-in captions: encoded and decoded, no frame stays unchanged (by
    freezedetect's rule) for more than 8 s — its description is revealed in pieces, each
    marked by the reading band (the scene held 10.1 s at 1080p before)."""
    spec = load_document(corpus_dir / "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md")
    narrations = script_stage(spec)
    index = next(i for i, text in enumerate(narrations) if "frequency division" in text)
    scene, text = spec.scenes[index], narrations[index]
    assert scene.scene_type == "list"
    one = spec.model_copy(update={"scenes": [scene]})
    # Piper, the English offline voice a render uses (the suite's default is eSpeak NG).
    engine = SpeechEngine("offline", env={"VIDEOSTUDIO_OFFLINE_VOICE": "piper"})
    audio = engine.synthesize(text, VoiceRef(language=spec.language))
    assert audio.provider == "piper"
    timing = build_timeline(one, [audio], [text]).scenes[0]
    ctx = RenderContext(1920, 1080, FPS, spec.theme, False)  # smaller, the text is larger
    renderer = make_renderer(scene, ctx, timing)  # for its frame and the measure is blunter
    out = tmp_path / "list.mp4"
    settings = EncodeSettings(width_px=1920, height_px=1080, fps=FPS)
    encode_segment(renderer, timing.n_frames, settings, probe_encoder("x264"), out)
    assert longest_still_s(out) <= 8.0


def test_caption_style_is_a_setting_and_a_flag(tmp_path):
    from studio.cli import build_parser, render_overrides
    from studio.request import build_render_request
    from studio.settings import StudioSettings

    spec = build_spec({"title": "T", "scenes": [{"scene_type": "title", "title": "Hi"}]})
    default = build_render_request(StudioSettings(), spec, output=tmp_path / "a.mp4")
    assert default.options.caption_style == "highlight"
    args = build_parser().parse_args(["render", "doc.md", "--caption-style", "plain"])
    chosen = build_render_request(
        StudioSettings(), spec, overrides=render_overrides(args), output=tmp_path / "a.mp4"
    )
    assert chosen.options.caption_style == "plain"
    from_settings = build_render_request(
        StudioSettings(caption_style="plain"), spec, output=tmp_path / "a.mp4"
    )
    assert from_settings.options.caption_style == "plain"


def test_highlight_style_colours_the_spoken_word_only():
    words = (WordTiming("Hello", 0.5, 1.0), WordTiming("world.", 1.0, 1.6))
    cue = Caption(0.5, 2.0, "Hello world.", ("Hello world.",), words)
    timing = make_timing(captions=(cue,))
    frames = {}
    for style in ("highlight", "plain"):
        ctx = RenderContext(1920, 1080, FPS, Theme(), True, caption_style=style)
        renderer = make_renderer(SAMPLES["outro"], ctx, timing)
        frames[style] = (renderer.frame_at(0.7), renderer.frame_at(1.2))
        band = renderer._captions.band
        region = (slice(band.y, band.bottom), slice(band.x, band.right))
        yellow = [
            int(((f[region][..., 0] > 200) & (f[region][..., 2] < 80)).sum()) for f in frames[style]
        ]
        if style == "plain":
            assert yellow == [0, 0]
        else:
            assert yellow[0] > 50 and yellow[1] > 50  # one word highlighted at each time
            assert renderer.frame_key(0.7) != renderer.frame_key(1.2)
    assert not np.array_equal(frames["highlight"][0], frames["highlight"][1])
