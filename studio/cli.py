"""The ``videostudio`` command line.

``videostudio render INPUT`` renders a document; ``videostudio demo`` renders the bundled
sample; ``videostudio voices`` lists voices. Exit codes: 0 done, 2 bad input (the message
says what and where), 1 any other failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import InputError, StudioError
from pipeline.models import VideoSpec, build_spec

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

ENCODER_CHOICES = ("auto", "nvenc", "qsv", "amf", "videotoolbox", "x264")
FORMAT_CHOICES = ("16:9", "9:16", "1:1")


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMAT_CHOICES, help="aspect ratio (default: 16:9)")
    parser.add_argument("--voice", help="voice name (male, female) or a provider voice id")
    parser.add_argument("--lang", help="language code, e.g. en, es, de (see `videostudio voices`)")
    parser.add_argument(
        "--captions",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="burn captions into the video (default: on for 9:16, off otherwise)",
    )
    parser.add_argument(
        "--encoder", choices=ENCODER_CHOICES, default="auto", help="video encoder (default: auto)"
    )
    parser.add_argument(
        "--accent", help="accent colour: #rrggbb or orange/blue/purple/green/pink/cyan"
    )
    parser.add_argument("--title", help="video title (default: from the document)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never use the network (eSpeak NG voices only); also VIDEOSTUDIO_OFFLINE=1",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``videostudio`` (all subcommands)."""
    parser = argparse.ArgumentParser(
        prog="videostudio",
        description="Turn a document into a narrated, captioned MP4.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = commands.add_parser("render", help="render a document to MP4")
    render.add_argument("input", type=Path, help="Markdown, text, PDF, DOCX or YAML scene file")
    render.add_argument("-o", "--output", type=Path, help="output .mp4 (default: INPUT name in .)")
    _add_render_options(render)

    demo = commands.add_parser("demo", help="render the bundled sample document into this folder")
    demo.add_argument("-o", "--output", type=Path, default=Path("videostudio-demo.mp4"))
    _add_render_options(demo)

    voices = commands.add_parser("voices", help="list the voices available offline and online")
    voices.add_argument("--lang", help="only this language")
    return parser


def apply_overrides(spec: VideoSpec, args: argparse.Namespace) -> VideoSpec:
    """Return ``spec`` with the command-line render options applied (validated).

    Raises:
        InputError: an option value is invalid (e.g. a malformed colour).
    """
    data = spec.model_dump(mode="json")
    if args.format:
        data["format"] = args.format
    if args.voice:
        data["voice"] = args.voice
    if args.lang:
        data["language"] = args.lang
    if args.captions is not None:
        data["captions"] = args.captions
    if args.accent:
        data["theme"] = {**data["theme"], "accent_color": args.accent}
    if args.title:
        data["title"] = args.title
    return build_spec(data, source="command line")


def _speech_mode(args: argparse.Namespace) -> str:
    if args.offline or os.environ.get("VIDEOSTUDIO_OFFLINE") == "1":
        return "offline"
    return "auto"


def _default_store_root() -> Path:
    override = os.environ.get("VIDEOSTUDIO_CACHE_DIR")
    if override:
        return Path(override) / "artifacts"
    import platformdirs

    return platformdirs.user_cache_path("videostudio") / "artifacts"


def _render(input_path: Path, output: Path | None, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from pipeline.adapters import load_document
    from pipeline.artifacts import DirectoryStore
    from pipeline.render_job import RenderOptions, render_video

    console = Console(stderr=True)
    spec = apply_overrides(load_document(input_path), args)
    out_path = output if output is not None else Path.cwd() / f"{input_path.stem}.mp4"
    options = RenderOptions(encoder=args.encoder, speech_mode=_speech_mode(args))
    store = DirectoryStore(_default_store_root())
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("starting", total=1.0)

        def on_progress(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=message)

        result = render_video(spec, out_path, store, options, progress=on_progress)
    reused = sum(1 for scene in result.scenes if scene.segment_cached)
    console.print(
        f"[green]Done:[/green] {result.duration_s:.1f} s of video, {len(result.scenes)} scenes "
        f"({reused} reused from cache), encoder {result.encoder}, "
        f"{result.wall_s:.1f} s wall time, real-time factor {result.realtime_factor:.1f}×"
    )
    for label, path in (
        ("video", result.output_path),
        ("thumbnail", result.thumbnail_path),
        ("subtitles", result.srt_path),
        ("subtitles", result.vtt_path),
        ("metadata", result.metadata_path),
    ):
        console.print(f"  {label:10} {path}")
    return EXIT_OK


def _voices(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pipeline.speech.voices import list_voices

    table = Table(title="Voices (offline = works with no network)")
    for column in ("language", "name", "provider", "voice id", "offline"):
        table.add_column(column)
    count = 0
    for voice in list_voices():
        if args.lang and voice.language != args.lang:
            continue
        table.add_row(
            voice.language,
            voice.name,
            voice.provider,
            voice.voice_id,
            "yes" if voice.offline else "no",
        )
        count += 1
    if count == 0:
        raise InputError(
            f"no voices for language {args.lang!r}", hint="run `videostudio voices` to see all"
        )
    Console().print(table)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``videostudio`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            return _render(args.input, args.output, args)
        if args.command == "demo":
            from resources import SAMPLES_DIR

            return _render(SAMPLES_DIR / "demo.md", args.output, args)
        if args.command == "voices":
            return _voices(args)
        parser.print_help()
        return EXIT_OK
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
