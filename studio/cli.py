"""The ``videostudio`` command line: one command tree,
``videostudio [--data-dir D] [--cache-dir C] [-v] COMMAND``.

``gui`` opens the desktop studio (also the default with no command); ``render INPUT`` renders
a document; ``demo`` renders the bundled sample; ``voices`` lists voices (``voices install
FILE`` installs a voice pack); ``queue add`` /
``jobs`` / ``run`` / ``cancel`` / ``retry`` work the persisted job queue headless;
``cache stats|clean|verify`` looks after the artefact cache. Every render — ``render``,
``demo``, ``queue add`` — is built by the studio's one request builder
(:meth:`studio.service.Studio.make_request`) from the settings, the document and the options
given here (:class:`~studio.request.RenderOverrides`). Exit codes: 0 done, 2 bad input (the
message says what and where), 1 any other failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pipeline.errors import InputError, StudioError
from pipeline.models import VideoSpec

if TYPE_CHECKING:
    from studio.request import RenderOverrides, RenderRequest
    from studio.service import Studio

GuiRunner = Callable[[argparse.Namespace], int]
"""Runs the desktop studio with the parsed arguments (given by ``ui.launcher``: the studio
layer cannot import the widgets)."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

ENCODER_CHOICES = ("auto", "nvenc", "qsv", "amf", "videotoolbox", "x264")
FORMAT_CHOICES = ("16:9", "9:16", "1:1")
TEMPLATE_KINDS = ("ad", "persona", "tutorial", "user")
"""``templates --kind``: a structure kind, or ``user`` for your own templates."""


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMAT_CHOICES, help="aspect ratio (default: 16:9)")
    parser.add_argument(
        "--voice",
        help="voice for every scene: male, male_warm, female, female_friendly or a provider "
        "voice id (see `videostudio voices`)",
    )
    parser.add_argument(
        "--keep-scene-voices",
        action="store_const",
        const=True,
        help="with --voice: scenes that name their own voice keep it",
    )
    parser.add_argument(
        "--offline-voice",
        choices=("piper", "espeak"),
        help="offline voice tried first (default: the setting, else piper for English)",
    )
    parser.add_argument(
        "--loudness",
        type=float,
        metavar="LUFS",
        help="integrated loudness of the output: -14, -16 (default) or -23 LUFS",
    )
    parser.add_argument(
        "--music",
        metavar="FILE|NAME",
        help="music under the voice: an MP3/WAV/M4A/OGG/FLAC file or calm, bright, pulse",
    )
    parser.add_argument(
        "--music-level",
        type=float,
        metavar="DB",
        help="music loudness under the voice while it speaks, dB (default -15)",
    )
    parser.add_argument(
        "--lang",
        help="language code, e.g. ja, or several: es,de,fr (one video each); text in another "
        "language is translated by the configured LLM (see `videostudio voices`)",
    )
    parser.add_argument(
        "--translate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="translate the text to --lang with the configured LLM (paid, governed by the "
        "budget; default: on); --no-translate changes only the voice",
    )
    parser.add_argument(
        "--captions",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="burn captions into the video (default: on for 9:16, off otherwise)",
    )
    parser.add_argument(
        "--caption-style",
        choices=("highlight", "plain"),
        help="burned-in captions: highlight the spoken word (default) or plain",
    )
    parser.add_argument(
        "--encoder",
        choices=ENCODER_CHOICES,
        help="video encoder (default: the setting, else auto)",
    )
    parser.add_argument(
        "--accent", help="accent colour: #rrggbb or orange/blue/purple/green/pink/cyan"
    )
    parser.add_argument("--title", help="video title (default: from the document)")
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="condense the video to about this length (±15 %%; default: the setting, else "
        "the whole document)",
    )
    parser.add_argument(
        "--all-sections",
        action="store_true",
        help="keep changelog, licence, contributor and badge sections (skipped by default)",
    )
    parser.add_argument(
        "--offline",
        action="store_const",
        const=True,
        help="never use the network (offline voices only); also VIDEOSTUDIO_OFFLINE=1",
    )
    parser.add_argument(
        "--llm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let the configured LLM write narration (paid; default: the setting)",
    )
    parser.add_argument(
        "--export",
        action="append",
        choices=("otio",),
        help="also write files for video editors: otio = OpenTimelineIO timeline (.otio, "
        ".otioz with media) and Final Cut Pro 7 XML, with one file per scene",
    )
    parser.add_argument(
        "--ai-clips",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ask the configured Videos API for clip scenes (paid; falls back to "
        "infographics; default: the setting)",
    )
    parser.add_argument(
        "--ai-images",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ask the configured images endpoint for a still per clip scene without an AI "
        "clip, drawn with pan and zoom, and for a background per title, list, quote … scene "
        "from its narration (paid, 10-50x cheaper than clips; falls back to infographics or "
        "the plain scene; default: the setting)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``videostudio`` (all subcommands)."""
    parser = argparse.ArgumentParser(
        prog="videostudio",
        description="Turn a document into a narrated, captioned MP4.",
        epilog="With no command (or `videostudio gui`) the desktop studio opens.",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="database and logs folder (also VIDEOSTUDIO_DATA_DIR)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="artefact cache folder (also VIDEOSTUDIO_CACHE_DIR)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details to the terminal too"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the desktop studio (the default)")
    gui.add_argument(
        "--offline", action="store_const", const=True, help="never use the network for speech"
    )
    gui.add_argument("--open", type=int, metavar="PROJECT_ID", help="open this project")
    gui.add_argument(
        "--smoke-test",
        action="store_true",
        help="show the main window, print one line about it and quit (exit 0 if it was shown);"
        " checks an installed bundle",
    )

    render = commands.add_parser("render", help="render a document or a template to MP4")
    render.add_argument(
        "input",
        type=Path,
        nargs="?",
        help="Markdown, text, PDF, DOCX, YAML scene file, .srt/.vtt transcript or a YouTube URL",
    )
    render.add_argument("-o", "--output", type=Path, help="output .mp4 (default: INPUT name in .)")
    render.add_argument("--template", help="render this template instead of a document")
    render.add_argument(
        "--set",
        dest="fields",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a template field (repeat); see `videostudio templates`",
    )
    render.add_argument(
        "--hooks", action="store_true", help="ad templates: render all 5 alternate hooks"
    )
    _add_render_options(render)

    templates = commands.add_parser(
        "templates",
        help="list templates (built-in and yours); export, import, validate, delete",
        description="With no action: list the templates and the fields they take.",
    )
    templates.add_argument("--kind", choices=TEMPLATE_KINDS, help="only this kind")
    template_commands = templates.add_subparsers(dest="templates_command", metavar="ACTION")
    listing = template_commands.add_parser("list", help="list templates (the default)")
    listing.add_argument("--kind", dest="list_kind", choices=TEMPLATE_KINDS, help="only this kind")
    export = template_commands.add_parser("export", help="write a template to a YAML file")
    export.add_argument("template_id", metavar="ID")
    export.add_argument("file", type=Path, metavar="FILE")
    imported = template_commands.add_parser(
        "import", help="add a template file to your templates (checked first)"
    )
    imported.add_argument("file", type=Path, metavar="FILE")
    imported.add_argument(
        "--replace", action="store_true", help="overwrite your template that has the same id"
    )
    imported.add_argument("--id", dest="new_id", metavar="NEW_ID", help="import under this id")
    validate = template_commands.add_parser(
        "validate", help="check a template file and list every problem (exit 2 if any)"
    )
    validate.add_argument("file", type=Path, metavar="FILE")
    deleted = template_commands.add_parser("delete", help="delete one of your templates")
    deleted.add_argument("template_id", metavar="ID")

    demo = commands.add_parser("demo", help="render the bundled sample document into this folder")
    demo.add_argument("-o", "--output", type=Path, default=Path("videostudio-demo.mp4"))
    _add_render_options(demo)

    voices = commands.add_parser(
        "voices",
        help="list the voices available offline and online; install a voice pack",
        description="With no action: list the voices, and whether the Piper voice is installed.",
    )
    voices.add_argument("--lang", help="only this language")
    voice_commands = voices.add_subparsers(dest="voices_command", metavar="ACTION")
    voice_list = voice_commands.add_parser("list", help="list the voices (the default)")
    voice_list.add_argument("--lang", dest="list_lang", help="only this language")
    voice_install = voice_commands.add_parser(
        "install",
        help="install a voice pack (videostudio-voice-…tar.gz) into your data folder",
        description="Checks the pack (only the expected files, size limits, the model's "
        "SHA-256) and installs it into <data folder>/voices, replacing an older copy.",
    )
    voice_install.add_argument("file", type=Path, metavar="FILE")

    queue = commands.add_parser("queue", help="add work to the persisted job queue")
    queue_commands = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    add = queue_commands.add_parser("add", help="queue a render of INPUT (run it with `run`)")
    add.add_argument("input", type=Path)
    add.add_argument("-o", "--output", type=Path, help="output .mp4 (default: INPUT name in .)")
    add.add_argument("--priority", type=int, default=0, help="higher runs first (default 0)")
    _add_render_options(add)

    batch = commands.add_parser(
        "batch",
        help="render every row of a manifest (CSV, JSONL, YAML) or every document of a folder",
        description="Each row becomes a queued render job (the same request as `render` "
        "with the row's options); rows already rendered are not rendered again. The options "
        "below apply to every row unless the row sets its own.",
    )
    batch.add_argument("manifest", type=Path, help="manifest file, or a folder of documents")
    batch.add_argument(
        "--report", type=Path, help="report CSV (default: batch-report.csv beside the manifest)"
    )
    batch.add_argument(
        "--output-dir", type=Path, help="where rows without an output go (default: beside it)"
    )
    batch.add_argument("--priority", type=int, default=0, help="queue priority of the rows")
    batch.add_argument(
        "--no-run", action="store_true", help="only queue the rows (run them with `run`)"
    )
    _add_render_options(batch)

    jobs = commands.add_parser("jobs", help="list jobs with their state and progress")
    jobs.add_argument("--limit", type=int, default=30, help="show at most this many (default 30)")
    commands.add_parser("run", help="work the job queue headless until it is empty")
    export = commands.add_parser(
        "export", help="write an OpenTimelineIO timeline (+ FCP7 XML) of a finished render"
    )
    export.add_argument("video", type=Path, help="a video rendered by Video Studio (.mp4)")
    cancel = commands.add_parser("cancel", help="cancel a pending or running job")
    cancel.add_argument("job_id", type=int)
    retry = commands.add_parser("retry", help="queue a failed or cancelled job again (it resumes)")
    retry.add_argument("job_id", type=int)

    approvals = commands.add_parser(
        "approvals", help="the approval queue of paid generation (list, approve, reject)"
    )
    approvals.add_argument(
        "action", nargs="?", choices=("list", "approve", "reject"), default="list"
    )
    approvals.add_argument("approval_id", nargs="?", type=int)
    approvals.add_argument("--note", default="", help="why (kept with the decision)")
    approvals.add_argument("--all", action="store_true", help="list decided requests too")

    ops = commands.add_parser("ops", help="spend vs budget, approvals, hit rate, fallbacks, errors")
    ops.add_argument("--days", type=int, default=30, help="period of the figures (default 30)")

    budget = commands.add_parser(
        "budget", help="today's budget; override the stop; resume; the zone of its days"
    )
    budget.add_argument(
        "action", nargs="?", choices=("status", "override", "resume", "zone"), default="status"
    )
    budget.add_argument("zone_name", nargs="?", metavar="ZONE", help="with `zone`: e.g. UTC")
    budget.add_argument("--note", default="", help="why (kept with the override)")

    cache = commands.add_parser("cache", help="artefact cache: stats, clean, verify")
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    cache_commands.add_parser("stats", help="entries, size, hit rate")
    clean = cache_commands.add_parser("clean", help="drop expired entries and evict to the quota")
    clean.add_argument("--all", action="store_true", help="drop every entry not in use")
    cache_commands.add_parser("verify", help="re-hash every entry; drop corrupt ones")
    return parser


def render_overrides(args: argparse.Namespace) -> RenderOverrides:
    """The render options given on the command line, as the request's explicit overrides
    (options not given are ``None``: the document's own value or the setting applies)."""
    from studio.request import RenderOverrides

    lang = getattr(args, "lang", None)
    languages = tuple(code.strip() for code in lang.split(",") if code.strip()) if lang else ()
    return RenderOverrides(
        title=getattr(args, "title", None),
        format=getattr(args, "format", None),
        voice=getattr(args, "voice", None),
        language=languages[0] if languages else None,
        languages=languages or None,
        translate=getattr(args, "translate", None),
        captions=getattr(args, "captions", None),
        accent=getattr(args, "accent", None),
        encoder=getattr(args, "encoder", None),
        caption_style=getattr(args, "caption_style", None),
        offline=getattr(args, "offline", None),
        llm=getattr(args, "llm", None),
        ai_clips=getattr(args, "ai_clips", None),
        ai_images=getattr(args, "ai_images", None),
        template_id=getattr(args, "template", None),
        duration_s=getattr(args, "duration", None),
        keep_scene_voices=getattr(args, "keep_scene_voices", None),
        offline_voice=getattr(args, "offline_voice", None),
        loudness_lufs=getattr(args, "loudness", None),
        music=getattr(args, "music", None),
        music_level_db=getattr(args, "music_level", None),
        exports=tuple(args.export) if getattr(args, "export", None) else None,
    )


def _studio(args: argparse.Namespace) -> contextlib.AbstractContextManager[Studio]:
    from studio.service import open_studio

    return open_studio(args.data_dir, args.cache_dir)


def _request(
    studio: Studio,
    spec: VideoSpec,
    args: argparse.Namespace,
    *,
    output: Path | None = None,
    source: Path | None = None,
    defaults: dict[str, Any] | None = None,
) -> RenderRequest:
    """The studio's one render request for ``spec`` with this command line's options
    (``defaults``: choices the options given here win over, e.g. a template's music)."""
    overrides = render_overrides(args)
    if defaults:
        given = {k: v for k, v in overrides.model_dump().items() if v is not None}
        overrides = type(overrides).model_validate({**defaults, **given})
    return studio.make_request(
        spec,
        overrides=overrides,
        output=output,
        default_output_dir=Path.cwd(),
        source=source,
    )


def _load_document(studio: Studio, path: Path, args: argparse.Namespace) -> VideoSpec:
    """The document as a spec; the loader's notes (sections skipped, pages without text,
    condensed to the scene cap) are printed to stderr."""
    from pipeline.adapters import read_document

    keep_all = bool(getattr(args, "all_sections", False))
    skip = studio.settings.current.skip_boilerplate and not keep_all
    offline = getattr(args, "offline", None)
    offline = studio.settings.current.offline if offline is None else offline
    loaded = read_document(path, skip_boilerplate=skip, offline=bool(offline))
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    return loaded.spec


def _print_notes(request: RenderRequest) -> None:
    for note in request.notes:
        print(f"note: {note}", file=sys.stderr)


def _render(input_path: Path, output: Path | None, args: argparse.Namespace) -> int:
    from pipeline.adapters.transcript import source_url, youtube_video_id

    url = source_url(input_path)
    if output is None:
        video_id = youtube_video_id(url) if url else None
        output = Path.cwd() / f"{video_id or input_path.stem}.mp4"
    with _studio(args) as studio:
        spec = _load_document(studio, input_path, args)
        source = None if url is not None else input_path  # a URL is no file to record
        request = _request(studio, spec, args, output=output, source=source)
        _print_notes(request)
        return _render_request(studio, request)


def _render_request(studio: Studio, request: RenderRequest) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    from pipeline.progress import ProgressEvent

    console = Console(stderr=True)
    for warning in studio.language_warnings(request):
        console.print(f"[yellow]Note:[/yellow] {warning}")
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[remaining]}"),
    )
    with Bar(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Starting", total=1.0, remaining="")

        def on_event(event: ProgressEvent) -> None:
            left = event.remaining_s
            remaining = f"about {format_duration(left)} left" if left is not None else ""
            bar.update(
                task, completed=event.fraction, description=event.message, remaining=remaining
            )

        results = studio.render_all(request, events=on_event)
    for result in results:
        reused = sum(1 for scene in result.scenes if scene.segment_cached)
        voices = sorted({s.speech_provider for s in result.scenes if s.speech_provider})
        console.print(
            f"[green]Done:[/green] {result.duration_s:.1f} s of video, {len(result.scenes)} "
            f"scenes ({reused} reused from cache), encoder {result.encoder}, "
            f"voice {', '.join(voices) or 'none'}, "
            f"{result.wall_s:.1f} s wall time, real-time factor {result.realtime_factor:.1f}×"
        )
        outputs = [
            ("video", result.output_path),
            ("thumbnail", result.thumbnail_path),
            ("subtitles", result.srt_path),
            ("subtitles", result.vtt_path),
            ("subtitles", result.ass_path),
            ("metadata", result.metadata_path),
        ]
        if "otio" in request.options.exports:
            outputs.append(("timeline", result.output_path.with_suffix(".otio")))
        for label, path in outputs:
            if path is not None:
                console.print(f"  {label:10} {path}")
    return EXIT_OK


def format_duration(seconds: float) -> str:
    """``75.2`` → ``"1:15"`` (minutes:seconds); ``3725`` → ``"1:02:05"``."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _voices(args: argparse.Namespace) -> int:
    if getattr(args, "voices_command", None) == "install":
        return _voices_install(args)
    from rich.console import Console
    from rich.table import Table

    from pipeline.speech.voices import list_voices

    lang = getattr(args, "list_lang", None) or args.lang
    table = Table(title="Voices (offline = works with no network)")
    for column in ("language", "name", "provider", "voice id", "offline"):
        table.add_column(column)
    count = 0
    for voice in list_voices():
        if lang and voice.language != lang:
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
            f"no voices for language {lang!r}", hint="run `videostudio voices` to see all"
        )
    Console().print(table)
    from studio.voicepacks import piper_voice_status

    print(piper_voice_status())
    return EXIT_OK


def _voices_install(args: argparse.Namespace) -> int:
    """``voices install FILE``: check the voice pack and install it into the data folder."""
    from studio.voicepacks import install_voice_pack

    installed = install_voice_pack(args.file, args.data_dir)
    print(
        f"installed voice {installed.voice_id} {installed.version} "
        f"({installed.size_bytes / 1e6:.1f} MB) into {installed.folder}; the SHA-256 of "
        f"its model matches the published voice"
    )
    return EXIT_OK


def parse_fields(pairs: Sequence[str]) -> dict[str, str]:
    """``["product=GlowBrush", "benefit_1=Fast"]`` → ``{"product": "GlowBrush", ...}``.

    Raises:
        InputError: a pair without ``=``.
    """
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(
                f"--set {pair!r} is not FIELD=VALUE", hint="e.g. --set product=GlowBrush"
            )
        fields[name.strip()] = value
    return fields


def _render_template(args: argparse.Namespace) -> int:
    from pipeline.templates import instantiate_template, template_variants
    from studio.templates import template_overrides

    fields = parse_fields(args.fields)
    out = args.output or Path.cwd() / f"{args.template}.mp4"
    with _studio(args) as studio:
        template = studio.templates.get(args.template)  # built-in or the user's own
        with _slot_generator(studio, args) as generator:
            if args.hooks:
                specs = template_variants(template, fields, generator=generator)
                targets = [
                    out.with_name(f"{out.stem}-hook{n}.mp4") for n in range(1, len(specs) + 1)
                ]
            else:
                specs = [instantiate_template(template, fields, generator=generator)]
                targets = [out]
        choices = template_overrides(template)
        requests = [
            _request(studio, spec, args, output=target, defaults=choices)
            for spec, target in zip(specs, targets, strict=True)
        ]
        for request in requests:
            _render_request(studio, request)
    return EXIT_OK


@contextlib.contextmanager
def _slot_generator(studio: Studio, args: argparse.Namespace) -> Iterator[Any]:
    """With --llm: the governed LLM that may rewrite a template's slot texts (the structure
    stays the template's); else ``None``."""
    llm = args.llm if args.llm is not None else studio.settings.current.ai.llm_enabled
    if not llm:
        yield None
        return
    from pipeline.ai.llm import make_generator
    from studio.settings import SecretStore

    ai = studio.settings.current.ai
    generator = make_generator(
        ai.llm_provider,
        studio.governor(),
        model=ai.llm_model,
        api_key=SecretStore().get_api_key(ai.llm_provider),
        base_url=ai.base_url(ai.llm_provider),
        prices=ai.prices,
    )
    try:
        yield generator
    finally:
        generator.close()


def _templates(args: argparse.Namespace) -> int:
    action = args.templates_command or "list"
    if action == "list":
        return _templates_list(args, getattr(args, "list_kind", None) or args.kind)
    if action == "validate":
        return _templates_validate(args.file)
    with _studio(args) as studio:
        library = studio.templates
        if action == "export":
            path = library.export(args.template_id, args.file)
            print(f"exported {args.template_id} → {path}")
        elif action == "import":
            if args.replace and args.new_id:
                raise InputError(
                    "give either --replace or --id, not both",
                    hint="--replace overwrites your template of the same id; --id imports "
                    "it as a new one",
                )
            entry = library.import_file(args.file, replace=args.replace, new_id=args.new_id)
            print(f"imported {entry.id} ({entry.kind}, “{entry.name}”) → {entry.path}")
            print(f"render it with: videostudio render --template {entry.id} --set FIELD=VALUE")
        elif action == "delete":
            library.delete(args.template_id)
            print(f"deleted your template {args.template_id}")
    return EXIT_OK


def _templates_list(args: argparse.Namespace, kind: str | None) -> int:
    from rich.console import Console
    from rich.table import Table

    from pipeline.templates.samples import format_length

    with _studio(args) as studio:
        entries = studio.templates.entries(kind)
        broken = studio.templates.broken()
    table = Table(
        title="Templates (render with: videostudio render --template ID --set FIELD=VALUE)"
    )
    for column in ("id", "kind", "from", "format", "length", "name", "required", "optional"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        required = ", ".join(f.name for f in entry.fields if f.required)
        optional = ", ".join(f.name for f in entry.fields if not f.required)
        table.add_row(
            entry.id,
            entry.kind,
            "built-in" if entry.read_only else "yours",
            entry.format,
            format_length(entry.length_s) if entry.length_s[1] else "?",
            entry.name,
            required,
            optional,
        )
    Console(width=180).print(table)
    for item in broken:
        print(f"warning: {item.path} is not usable: {item.error}", file=sys.stderr)
    return EXIT_OK


def _templates_validate(path: Path) -> int:
    from pipeline.templates import check_template
    from studio.templates import read_template_data

    check = check_template(read_template_data(path))
    if check.template is not None:
        template = check.template
        scenes = len(getattr(template, "scenes", ())) or 3
        print(f"{path}: valid {template.kind} template {template.id!r} ({scenes} scenes)")
        return EXIT_OK
    count = len(check.problems)
    print(f"{path}: {count} problem{'s' if count > 1 else ''}:", file=sys.stderr)
    for problem in check.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _queue_add(args: argparse.Namespace) -> int:
    out_path = args.output if args.output is not None else Path.cwd() / f"{args.input.stem}.mp4"
    with _studio(args) as studio:
        spec = _load_document(studio, args.input, args)
        request = _request(studio, spec, args, output=out_path, source=args.input)
        _print_notes(request)
        for warning in studio.language_warnings(request):
            print(f"Note: {warning}", file=sys.stderr)
        job_id = studio.enqueue(request, priority=args.priority)
    print(
        f"queued job {job_id}: {args.input} → {request.output}  (start it with `videostudio run`)"
    )
    return EXIT_OK


def _jobs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Jobs (newest first)")
    for column in (
        "id",
        "kind",
        "state",
        "progress",
        "stage / message",
        "attempts",
        "output / error",
    ):
        table.add_column(column)
    with _studio(args) as studio:
        jobs = studio.jobs.list_jobs(limit=args.limit)
    for job in jobs:
        detail = job.error or (job.output or {}).get("output") or job.input.get("output", "")
        table.add_row(
            str(job.id),
            job.kind,
            job.state.value,
            f"{job.progress * 100:5.1f} %",
            job.message,
            str(job.attempts),
            str(detail),
        )
    Console().print(table if jobs else "no jobs yet — add one with `videostudio queue add INPUT`")
    return EXIT_OK


def _work_queue(studio: Studio, console: Any) -> tuple[list[int], bool]:
    """Work the queue until it is empty (or Ctrl-C); returns the jobs that did not succeed
    and whether the run was interrupted."""
    import signal

    from PySide6.QtCore import QCoreApplication, QTimer

    from pipeline.progress import ProgressEvent

    app = QCoreApplication.instance() or QCoreApplication([])
    failed: list[int] = []
    interrupted = [False]
    stopped: list[int] = []  # running when interrupted: reported as not succeeded
    runner = studio.make_runner()
    last: dict[int, str] = {}

    def on_event(job_id: int, event: ProgressEvent) -> None:
        if last.get(job_id) != event.stage:
            last[job_id] = event.stage
            console.print(f"job {job_id}: {event.fraction * 100:5.1f} %  {event.message}")

    def on_finished(job_id: int, state: str, error: str) -> None:
        if state != "SUCCEEDED":
            failed.append(job_id)
        console.print(f"job {job_id}: {state}" + (f" — {error}" if error else ""))

    def on_sigint(*_: object) -> None:
        interrupted[0] = True
        stopped.extend(runner.running_ids)
        console.print("interrupted: cancelling running jobs (they resume with `retry`)")
        runner.shutdown(0)
        app.quit()

    runner.job_event.connect(on_event)
    runner.job_finished.connect(on_finished)
    runner.idle.connect(app.quit)
    previous = signal.signal(signal.SIGINT, on_sigint)
    ticker = QTimer()  # lets Python run its signal handlers while Qt's loop waits
    ticker.start(200)
    ticker.timeout.connect(lambda: None)
    try:
        recovered = runner.start()
        if recovered:
            console.print(f"recovered after a crash: jobs {recovered}")
        if runner.running_ids:
            app.exec()
        runner.shutdown()
    finally:
        ticker.stop()
        signal.signal(signal.SIGINT, previous)
    for job_id in stopped:  # their end came after the event loop had stopped
        job = studio.jobs.get_job(job_id)
        state = job.state.value if job is not None else "unknown"
        console.print(f"job {job_id}: {state} (resume it with `videostudio retry {job_id}`)")
        if job_id not in failed:
            failed.append(job_id)
    return failed, interrupted[0]


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(stderr=True)
    with _studio(args) as studio:
        failed, interrupted = _work_queue(studio, console)
        remaining = studio.pending_or_running()
    if interrupted:
        console.print(f"interrupted; {remaining} jobs still pending")
        return EXIT_INTERRUPTED
    console.print(f"queue worked: {len(failed)} not succeeded, {remaining} still pending")
    return EXIT_FAILURE if failed else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from pipeline.export import export_for_editors

    result = export_for_editors(args.video)
    print(f"timeline  {result.otio}\nbundle    {result.otioz}\nPremiere  {result.fcp_xml}")
    print(f"media     {result.sound.parent} ({len(result.scene_media)} scenes + sound)")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from studio.batch import enqueue_batch, plan_batch, refresh_states, report_rows, write_report

    console = Console(stderr=True)
    interrupted = False
    with _studio(args) as studio:
        keep_all = bool(getattr(args, "all_sections", False))
        batch = plan_batch(
            studio,
            args.manifest,
            defaults=render_overrides(args),
            output_dir=args.output_dir,
            skip_boilerplate=studio.settings.current.skip_boilerplate and not keep_all,
        )
        enqueue_batch(studio, batch, priority=args.priority)
        queued = sum(1 for row in batch.valid if not row.reused)
        console.print(
            f"batch: {len(batch.rows)} rows, {queued} queued, "
            f"{len(batch.valid) - queued} already queued or done, "
            f"{len(batch.rows) - len(batch.valid)} invalid"
        )
        if not args.no_run and batch.valid:
            _, interrupted = _work_queue(studio, console)
        refresh_states(studio, batch)
    table = Table(title=f"Batch {args.manifest}")
    for column in ("line", "source", "state", "output", "error"):
        table.add_column(column, overflow="fold")
    for row in report_rows(batch):
        output = Path(row["output"]).name if row["output"] else ""
        table.add_row(row["line"], row["source"], row["state"], output, row["error"])
    Console().print(table)
    base = args.manifest if args.manifest.is_dir() else args.manifest.parent
    report = write_report(batch, args.report or base / "batch-report.csv")
    console.print(f"report: {report}")
    if interrupted:
        return EXIT_INTERRUPTED
    if any(row.request is None for row in batch.rows):
        return EXIT_BAD_INPUT
    if args.no_run:
        return EXIT_OK
    return EXIT_OK if all(row.state == "SUCCEEDED" for row in batch.rows) else EXIT_FAILURE


def _cancel_or_retry(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        job = studio.jobs.get_job(args.job_id)
        if job is None:
            raise InputError(f"there is no job {args.job_id}", hint="see `videostudio jobs`")
        if args.command == "cancel":
            changed = studio.jobs.cancel_job(args.job_id)
        else:
            changed = studio.jobs.retry_job(args.job_id)
    if not changed:
        raise InputError(
            f"job {args.job_id} is {job.state.value} and cannot be {args.command}ed",
            hint="cancel works on PENDING/RUNNING jobs, retry on FAILED/CANCELLED ones",
        )
    print(f"job {args.job_id}: {'cancelled' if args.command == 'cancel' else 'queued again'}")
    return EXIT_OK


def _cache(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        if args.cache_command == "clean":
            removed = studio.cache.clean(all=args.all)
            leftovers = studio.sweep_leftovers()
            print(f"removed {len(removed)} entries and {len(leftovers)} leftovers of killed runs")
        elif args.cache_command == "verify":
            dropped = studio.cache.verify()
            print(f"verified; dropped {len(dropped)} corrupt entries")
        stats = studio.cache.stats()
    print(
        f"cache: {stats.entries} entries, {stats.bytes / 1e6:.1f} MB of {stats.quota_bytes / 1e9:.1f} GB, "
        f"hit rate {stats.hit_rate * 100:.1f} % ({stats.hits} hits, {stats.misses} misses), "
        f"{stats.pinned} in use"
    )
    for kind, kind_stats in sorted(stats.by_kind.items()):
        print(f"  {kind:10} {kind_stats}")
    return EXIT_OK


def _governor(studio: Studio) -> Any:
    return studio.governor()


def _approvals(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        governor = _governor(studio)
        if args.action in ("approve", "reject"):
            if args.approval_id is None:
                raise InputError(
                    f"which request? give its id: videostudio approvals {args.action} ID",
                    hint="`videostudio approvals` lists the pending ones",
                )
            decide = governor.approve if args.action == "approve" else governor.reject
            approval = decide(
                args.approval_id, note=args.note, by=os.environ.get("USER", "operator")
            )
            print(
                f"request {approval.id} ({approval.template_id}, {approval.kind}): {approval.state}"
            )
            return EXIT_OK
        approvals = governor.list_approvals(None if args.all else "pending")
    if not approvals:
        print("no pending approval requests" if not args.all else "no approval requests")
        return EXIT_OK
    for a in approvals:
        when = a.requested_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(
            f"{a.id:>4}  {a.state:<8}  {a.kind:<5}  {a.template_id:<36}  ~${a.estimated_usd:.2f}  "
            f"{when}  {a.description}"
        )
    print("approve with: videostudio approvals approve ID   (or reject ID --note WHY)")
    return EXIT_OK


def _ops(args: argparse.Namespace) -> int:
    from studio.ops import format_ops_report, ops_report
    from studio.paid import budget_policy

    with _studio(args) as studio:
        report = ops_report(studio.db, budget_policy(studio.settings.current.ai), days=args.days)
    print(format_ops_report(report))
    return EXIT_OK


def _budget(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        governor = _governor(studio)
        if args.action == "override":
            governor.override_budget(
                governor.today(), by=os.environ.get("USER", "operator"), note=args.note
            )
            print("the hard stop is lifted for today")
        elif args.action == "resume":
            governor.resume_paid_work()
            print("paid work may run again")
        elif args.action == "zone" and args.zone_name:
            print(f"budget days are counted in {governor.set_time_zone(args.zone_name)}")
        status = governor.status()
        pause = governor.pause_state()
        zone = governor.time_zone()
    print(
        f"{status.day}: ${status.committed_usd:.2f} committed of ${status.daily_usd:.2f} "
        f"(alert at ${status.alert_usd:.2f}, hard stop at ${status.cap_usd:.2f}"
        f"{', lifted today' if status.overridden else ''}) — {status.state}"
        f"; days counted in {zone}"
    )
    if pause.paused:
        print(f"paid work is PAUSED: {pause.reason}  (resume with `videostudio budget resume`)")
    return EXIT_OK


def _configure(args: argparse.Namespace) -> None:
    """Resolve --data-dir/--cache-dir (passed explicitly to the studio, never through the
    environment), point the pipeline's Piper voice lookup at that data folder's voice packs
    (``$VIDEOSTUDIO_VOICES_DIR``: the pipeline does not know the studio's folders) and send
    logs to the log folder of that data folder."""
    import logging
    import logging.handlers

    from studio import paths

    args.data_dir = args.data_dir.expanduser().resolve() if args.data_dir else None
    args.cache_dir = args.cache_dir.expanduser().resolve() if args.cache_dir else None
    paths.export_voices_dir(args.data_dir)  # the Piper voice pack's folder, for the pipeline
    root = logging.getLogger()
    if any(getattr(h, "_videostudio", False) for h in root.handlers):
        return
    folder = paths.log_dir(args.data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "videostudio.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    )
    handler._videostudio = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    if args.verbose:
        root.addHandler(logging.StreamHandler())


def main(argv: Sequence[str] | None = None, *, gui: GuiRunner | None = None) -> int:
    """Entry point of the command line; returns the exit code.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        gui: runs the desktop studio for the ``gui`` command (and for no command); given by
            ``ui.launcher``. Without it, those print the help.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure(args)
    try:
        if args.command in (None, "gui") and gui is not None:
            if args.command is None:
                args.offline, args.open, args.smoke_test = None, None, False
            return gui(args)
        if args.command == "render":
            if args.template:
                if args.input is not None:
                    raise InputError(
                        "give either INPUT or --template, not both",
                        hint="templates take their content from --set FIELD=VALUE",
                    )
                return _render_template(args)
            if args.input is None:
                raise InputError(
                    "nothing to render", hint="give a document (INPUT) or --template ID"
                )
            return _render(args.input, args.output, args)
        if args.command == "templates":
            return _templates(args)
        if args.command == "demo":
            from resources import SAMPLES_DIR

            return _render(SAMPLES_DIR / "demo.md", args.output.resolve(), args)
        if args.command == "voices":
            return _voices(args)
        if args.command == "queue":
            return _queue_add(args)
        if args.command == "jobs":
            return _jobs(args)
        if args.command == "run":
            return _run(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "export":
            return _export(args)
        if args.command in ("cancel", "retry"):
            return _cancel_or_retry(args)
        if args.command == "cache":
            return _cache(args)
        if args.command == "approvals":
            return _approvals(args)
        if args.command == "ops":
            return _ops(args)
        if args.command == "budget":
            return _budget(args)
        parser.print_help()
        return EXIT_OK
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        problem = environment_problem(error, args.data_dir)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return problem.exit_code


def environment_problem(error: BaseException, data_dir: Path | None) -> StudioError | None:
    """A disk or database failure that reached the top as a library error, as a message
    naming the folder and what to do (full, read-only, not allowed; for the database also
    damaged or busy), or ``None`` for anything else (a bug: its traceback is shown)."""
    from sqlalchemy.exc import DBAPIError

    from pipeline.preflight import storage_error
    from studio import paths
    from studio.store import database_error

    if isinstance(error, DBAPIError):
        return database_error(error, (data_dir or paths.data_dir()) / paths.DATABASE_FILE)
    if isinstance(error, OSError):
        return storage_error(error, None, "its files")
    return None


def exit_process(code: int) -> NoReturn:
    """End the process with ``code``; after an interrupt (130), at once.

    Tearing the interpreter down (freeing every module and object) can take most of a second
    on a busy machine; an interrupted command has already cleaned up after itself, so it
    flushes its output and logs and leaves with :func:`os._exit` (Ctrl-C is honoured within
    a second). Entry points call this; :func:`main` itself only returns the code.
    """
    if code == EXIT_INTERRUPTED:
        import logging

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        logging.shutdown()
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    exit_process(main())
