"""Quality report: render real documents in every format and print what a viewer would notice.

Run:  nice -n 10 .venv/bin/python benchmarks/quality_report.py
      [--corpus ../shared/corpus] [--docs NAME ...] [--formats 16:9 9:16 1:1] [--work DIR]

Renders each document of the corpus offline (the voice a render uses offline: Piper for
English, eSpeak NG otherwise; libx264) in each format, then prints one row per video:

* ``still s`` — the longest stretch without visible change, from the decoded MP4. Like
  FFmpeg's ``freezedetect`` (default noise -60 dB): each frame's luma is compared with the
  frame that started the current still (every 4th pixel in both directions); a mean absolute
  difference above 0.001 of full scale ends the still.
* ``rep %`` — share of frames that do not differ visibly (same measure) from the one before.
* ``min px`` — the smallest font size (em, pixels) of any text the renderers draw, from the
  layout (:mod:`pipeline.render.textlog`); ``code px`` the same for code.
* ``min CR`` — the lowest WCAG contrast ratio of drawn text against the colour under it;
  ``CR fail`` how many texts are below their WCAG AA minimum (4.5:1, 3:1 for large text).
* ``x-sent %`` — caption cues that run across a sentence end of the narration.
* ``1-word`` — caption cues of one word; ``orph`` those that are not a whole sentence.
* ``long``/``short`` — cues longer than 7 s / shorter than 1 s; ``wide`` — cues with a
  line over 42 characters (or more than 2 lines).
* ``cut`` — texts drawn cut with "…" (spoken text that does not reach the screen whole).
* ``dur s`` — the video's duration; ``scenes`` its scene count.

Speech clips and segments are cached in ``--work`` (default ``/tmp/videostudio-quality``),
so a second run only redraws what changed. Prints a Markdown table, ready for the docs.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.adapters import load_document
from pipeline.artifacts import DirectoryStore
from pipeline.models import VideoSpec, build_spec
from pipeline.preview import plan_scenes
from pipeline.render.textlog import TextRecord, recording_text
from pipeline.render_job import RenderOptions, render_context, render_video, scene_renderer
from pipeline.timeline import Caption

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FORMATS = ("16:9", "9:16", "1:1")
NOISE = 0.001
"""freezedetect's default noise (-60 dB) as a fraction of full scale."""
SUBSAMPLE = 4
MAX_LINE_CHARS = 42
MIN_CUE_S, MAX_CUE_S = 1.0, 7.0
_SENTENCE_END = re.compile(r"[.!?…][\"')\]”’]*$")


@dataclass
class StillStats:
    """Still-frame figures of one decoded video."""

    longest_s: float
    longest_at_s: float
    repeated_share: float
    n_frames: int


def still_stats(path: Path) -> StillStats:
    """Decode ``path`` and measure stills (see the module docstring)."""
    longest = 0
    longest_start = 0
    run_start = 0
    repeated = 0
    n = 0
    reference: np.ndarray | None = None
    previous: np.ndarray | None = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or 30)
        for frame in container.decode(stream):
            plane = frame.planes[0]
            luma = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
            luma = luma[: frame.height : SUBSAMPLE, : frame.width : SUBSAMPLE].astype(np.int16)
            if reference is None or previous is None:
                reference, previous = luma, luma
                n = 1
                continue
            if float(np.abs(luma - previous).mean()) / 256 <= NOISE:
                repeated += 1
            if float(np.abs(luma - reference).mean()) / 256 > NOISE:
                if n - run_start > longest:
                    longest, longest_start = n - run_start, run_start
                reference, run_start = luma, n
            previous = luma
            n += 1
    if n - run_start > longest:
        longest, longest_start = n - run_start, run_start
    return StillStats(longest / fps, longest_start / fps, repeated / max(1, n - 1), n)


@dataclass
class CaptionStats:
    """Caption figures of one video."""

    n_cues: int
    crossing: int
    one_word: int
    orphans: int
    too_long: int
    too_short: int
    too_wide: int


def _norm(token: str) -> str:
    return re.sub(r"\W", "", token.lower())


def caption_stats(captions: Sequence[Sequence[Caption]], narrations: Sequence[str]) -> CaptionStats:
    """Check the cues of each scene against its narration's sentences.

    Cue words are matched to narration words (difflib on normalised tokens), so cues without
    punctuation are judged by where the narration's sentences end.
    """
    stats = CaptionStats(0, 0, 0, 0, 0, 0, 0)
    for cues, text in zip(captions, narrations, strict=True):
        tokens = [t for t in text.split() if _norm(t)]
        norm = [_norm(t) for t in tokens]
        ends = [bool(_SENTENCE_END.search(t)) for t in tokens]
        # The sentence each narration token belongs to.
        sentence_of: list[int] = []
        sentence = 0
        for end in ends:
            sentence_of.append(sentence)
            sentence += end
        sentence_len: dict[int, int] = {}
        for s in sentence_of:
            sentence_len[s] = sentence_len.get(s, 0) + 1
        cue_tokens = [[_norm(t) for t in cue.text.split() if _norm(t)] for cue in cues]
        flat = [t for words in cue_tokens for t in words]
        owner = [i for i, words in enumerate(cue_tokens) for _ in words]
        matched: dict[int, list[int]] = {}
        matcher = SequenceMatcher(None, flat, norm, autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                matched.setdefault(owner[block.a + k], []).append(block.b + k)
        for i, cue in enumerate(cues):
            stats.n_cues += 1
            indices = matched.get(i, [])
            if indices and len({sentence_of[j] for j in indices}) > 1:
                stats.crossing += 1
            if len(cue_tokens[i]) == 1:
                stats.one_word += 1
                if not indices or sentence_len[sentence_of[indices[0]]] > 1:
                    stats.orphans += 1
            duration = cue.end_s - cue.start_s
            stats.too_long += duration > MAX_CUE_S + 1e-6
            stats.too_short += duration < MIN_CUE_S - 1e-6
            lines = list(getattr(cue, "display_lines", None) or cue.text.split("\n"))
            stats.too_wide += len(lines) > 2 or max(len(line) for line in lines) > MAX_LINE_CHARS
    return stats


@dataclass
class TextStats:
    """Text figures of one video, from the drawn layout."""

    min_px: int
    min_code_px: int | None
    min_contrast: float
    failing: int
    cut: int


def text_stats(spec: VideoSpec, store: DirectoryStore) -> tuple[TextStats, CaptionStats]:
    """Rebuild each scene's renderer as the encoder did and read what it drew."""
    plan = plan_scenes(spec, store)
    ctx = render_context(spec)
    records: list[TextRecord] = []
    # Without its crossfade, so that building scene i does not also build (and count the
    # texts of) scene i - 1 for its final frame: the texts drawn are the same.
    alone = replace(
        plan.manifest,
        scenes=tuple(replace(timing, transition_in_s=0.0) for timing in plan.manifest.scenes),
    )
    for index in range(len(spec.scenes)):
        with recording_text() as scene_records:
            scene_renderer(spec, alone, ctx, index)
        records += scene_records
    code = [r.size_px for r in records if r.role == "code"]
    text = TextStats(
        min_px=min((r.size_px for r in records), default=0),
        min_code_px=min(code) if code else None,
        min_contrast=min((r.contrast for r in records), default=21.0),
        failing=sum(r.contrast < r.required_contrast - 1e-9 for r in records),
        cut=sum(r.cut for r in records),
    )
    captions = caption_stats([t.captions for t in plan.manifest.scenes], plan.narrations)
    return text, captions


def _spec_for(path: Path, fmt: str) -> VideoSpec:
    spec = load_document(path)
    data = spec.model_dump(mode="json")
    data["format"] = fmt
    return build_spec(data, source=str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", nargs="*", help="file names in the corpus (default: all)")
    parser.add_argument("--formats", nargs="*", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/videostudio-quality"))
    args = parser.parse_args()
    names = args.docs or sorted(
        p.name for p in args.corpus.iterdir() if p.is_file() and p.name != "README.md"
    )
    args.work.mkdir(parents=True, exist_ok=True)
    store = DirectoryStore(args.work / "store")
    header = (
        "| document | format | dur s | scenes | still s | rep % | min px | code px | min CR "
        "| CR fail | x-sent % | 1-word | orph | long | short | wide | cut |"
    )
    print(header)
    print("|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|", flush=True)
    started = time.perf_counter()
    for name in names:
        for fmt in args.formats:
            spec = _spec_for(args.corpus / name, fmt)
            out = args.work / f"{Path(name).stem}-{fmt.replace(':', 'x')}.mp4"
            t0 = time.perf_counter()
            result = render_video(spec, out, store, RenderOptions(speech_mode="offline"))
            render_s = time.perf_counter() - t0
            stills = still_stats(out)
            text, captions = text_stats(spec, store)
            crossing = 100 * captions.crossing / max(1, captions.n_cues)
            code_px = "–" if text.min_code_px is None else str(text.min_code_px)
            row = (
                f"| {name} | {fmt} | {result.duration_s:.0f} | {len(spec.scenes)} "
                f"| {stills.longest_s:.1f} | {100 * stills.repeated_share:.0f} "
                f"| {text.min_px} | {code_px} | {text.min_contrast:.2f} | {text.failing} "
                f"| {crossing:.0f} | {captions.one_word} | {captions.orphans} "
                f"| {captions.too_long} | {captions.too_short} | {captions.too_wide} "
                f"| {text.cut} |"
            )
            print(row, flush=True)
            print(
                f"{name} {fmt}: rendered in {render_s:.0f} s, longest still at "
                f"{stills.longest_at_s:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    print(f"\n({time.perf_counter() - started:.0f} s in all)", file=sys.stderr)


if __name__ == "__main__":
    main()
