"""Batch renders: a manifest (CSV, JSONL or YAML) or a folder of documents becomes queued jobs.

A manifest has one row per video. A row names its source — ``input`` (a document) or
``template`` (a template id, with its fields) — and optionally ``output`` and any render
option of :class:`~studio.request.RenderOverrides` (``format``, ``voice``, ``language`` or
``lang``, ``captions``, ``accent``, ``title``, ``encoder``, ``offline``, …), also under the
command line's names (``lang: es,de``, ``duration``, ``loudness``, ``music-level``,
``export: otio``, ``all-sections``; ``-`` and ``_`` are the same in a column name). Template
fields are ``field.NAME`` columns (CSV) or a ``fields`` mapping (JSONL, YAML). Relative paths
are relative to the manifest's folder. A folder instead of a manifest means one row per
document in it.

Every row becomes the studio's one render request (:meth:`Studio.make_request`), so a batch
row renders exactly like ``videostudio render`` with the same options. Rows are deduplicated
by content: a row whose request is the same as a job already queued or done is not queued
again (a finished one whose video is still there is reported as done), so running the same
manifest twice renders nothing twice. A bad row is reported with its line number and does
not stop the others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from pipeline.errors import InputError, StudioError
from pipeline.fsutil import atomic_write_text
from studio.request import RenderOverrides, RenderRequest
from studio.store import Job, JobState

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".yaml", ".yml")
MAX_MANIFEST_BYTES = 5_000_000
MAX_ROWS = 1_000
"""A manifest holds at most this many rows (larger batches: split the manifest)."""

_ALIASES = {
    "lang": "language",
    "out": "output",
    "file": "input",
    "document": "input",
    "duration": "duration_s",
    "loudness": "loudness_lufs",
    "music_level": "music_level_db",
    "export": "exports",
}
"""Column names (lower case, ``-`` read as ``_``) → the render option they set."""
_LIST_KEYS = ("languages", "exports")
"""Options that take several values: a comma-separated cell, or a list in JSONL/YAML."""
_SOURCE_KEYS = {"input", "template", "output", "fields", "all_sections"}


@dataclass(frozen=True)
class ManifestRow:
    """One row as read: its line in the manifest and its values (already aliased)."""

    line: int
    values: dict[str, Any]


@dataclass
class BatchRow:
    """One row of a batch and what became of it.

    Attributes:
        line: the row's line in the manifest (1-based; for a folder, its position).
        label: what the row renders (the document's name or the template id).
        request: the render request, when the row is valid.
        error: why the row cannot be rendered (names the problem), else ``""``.
        job_id: the job that renders it (queued now, or found from an earlier run).
        state: ``invalid``, or the job's state (``PENDING``, …, ``SUCCEEDED``).
        reused: the job existed already (same content): nothing new was queued.
    """

    line: int
    label: str
    request: RenderRequest | None = None
    error: str = ""
    job_id: int | None = None
    state: str = "invalid"
    reused: bool = False


@dataclass
class Batch:
    """A planned batch: its rows in manifest order."""

    source: Path
    rows: list[BatchRow] = field(default_factory=list)

    @property
    def valid(self) -> list[BatchRow]:
        """Rows that can be rendered."""
        return [row for row in self.rows if row.request is not None]


def _text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(
            f"cannot read the batch manifest ({error.strerror})",
            source=str(path),
            hint="check the path",
        ) from error
    if size > MAX_MANIFEST_BYTES:
        raise InputError(
            f"the manifest is {size / 1e6:.1f} MB; at most {MAX_MANIFEST_BYTES / 1e6:.0f} MB",
            source=str(path),
            hint="split it into several manifests",
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"cannot read the batch manifest ({error})",
            source=str(path),
            hint="save it as UTF-8 text",
        ) from error


def _values(value: Any) -> list[str]:
    """A list cell as its values: ``"es, de"`` → ``["es", "de"]``; a list stays a list."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _normalise(values: Mapping[str | None, Any]) -> dict[str, Any]:
    """A row's values under the names :func:`plan_batch` reads: aliases resolved, empty
    cells dropped, ``field.NAME`` cells gathered into ``fields``, and ``lang``/``language``
    with several codes (``es,de``) split into ``languages`` (the first is also ``language``),
    as ``--lang`` does on the command line. Cells beyond the header (key ``None``) become an
    ``__error__``."""
    result: dict[str, Any] = {}
    fields: dict[str, Any] = (
        dict(values.get("fields") or {}) if isinstance(values.get("fields"), Mapping) else {}
    )
    for raw_key, value in values.items():
        if raw_key is None:  # csv.DictReader: more cells than the header has columns
            extra = [v for v in value if str(v).strip()] if isinstance(value, list) else [value]
            if extra:
                result["__error__"] = (
                    f"{len(extra)} more cell{'s' if len(extra) > 1 else ''} than the header "
                    f"has columns ({', '.join(repr(str(v)) for v in extra[:3])})"
                )
            continue
        key = str(raw_key).strip().lower()
        if key == "fields":
            continue
        if key.startswith(("field.", "field:")):
            fields[key[6:]] = value
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty CSV cell means "not given"
        key = key.replace("-", "_")
        key = _ALIASES.get(key, key)
        if key in ("language", "languages"):
            codes = _values(value)
            if codes:
                result["language"] = codes[0]
            if len(codes) > 1:
                result["languages"] = tuple(codes)
            continue
        if key in _LIST_KEYS:
            result[key] = tuple(_values(value))
            continue
        result[key] = value.strip() if isinstance(value, str) else value
    # an empty cell is "not given" (a CSV shared by several templates has every field column)
    given = {str(k): str(v) for k, v in fields.items() if v is not None and str(v).strip()}
    if given:
        result["fields"] = given
    return result


def _csv_rows(text: str, path: Path) -> list[ManifestRow]:
    """The rows of a CSV manifest, each with the line it **starts** on (a quoted cell may
    span lines; blank lines are skipped but counted).

    Raises:
        InputError: no header row, or the CSV is malformed as a whole.
    """
    lines = io.StringIO(text, newline="")
    consumed = 0

    def counted() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += 1
            yield line

    reader = csv.reader(counted())
    try:
        header = next(reader, None)
        while header == []:  # blank lines before the header
            header = next(reader, None)
        if not header:
            raise InputError("the CSV manifest has no header row", source=str(path))
        names = [name.strip() for name in header]
        rows: list[ManifestRow] = []
        while True:
            start = consumed + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not cells or not any(cell.strip() for cell in cells):
                continue
            record: dict[str | None, Any] = dict(zip(names, cells, strict=False))
            if len(cells) > len(names):
                record[None] = cells[len(names) :]
            rows.append(ManifestRow(start, _normalise(record)))
    except csv.Error as error:
        raise InputError(
            f"the CSV manifest is malformed at line {consumed} ({error})",
            source=str(path),
            hint="check the quotes on that line",
        ) from error
    return rows


def read_manifest(path: Path) -> list[ManifestRow]:
    """The rows of a CSV, JSONL or YAML manifest, with their line numbers.

    Raises:
        InputError: unknown format, unreadable or malformed file as a whole, or more than
            :data:`MAX_ROWS` rows. (A malformed single JSONL line is reported as a bad row.)
    """
    suffix = path.suffix.lower()
    if suffix not in MANIFEST_SUFFIXES:
        raise InputError(
            f"a batch manifest must be {', '.join(MANIFEST_SUFFIXES)} (or a folder)",
            source=str(path),
            hint="save the list of videos as CSV, JSON Lines or YAML",
        )
    text = _text(path)
    rows: list[ManifestRow] = []
    if suffix == ".csv":
        rows = _csv_rows(text, path)
    elif suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                rows.append(ManifestRow(number, {"__error__": f"not valid JSON ({error})"}))
                continue
            if not isinstance(record, dict):
                rows.append(ManifestRow(number, {"__error__": "a row must be a JSON object"}))
                continue
            rows.append(ManifestRow(number, _normalise(record)))
    else:
        try:
            document = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise InputError(
                f"the YAML manifest is malformed ({error})",
                source=str(path),
                hint="a manifest is a list of mappings",
            ) from error
        if isinstance(data, Mapping) and isinstance(data.get("videos"), list):
            data = data["videos"]
            assert isinstance(document, yaml.MappingNode)
            document = next(v for k, v in document.value if k.value == "videos")
        if not isinstance(data, list) or not isinstance(document, yaml.SequenceNode):
            raise InputError(
                "the YAML manifest must be a list of videos (or have a 'videos:' list)",
                source=str(path),
            )
        for node, record in zip(document.value, data, strict=True):
            line = node.start_mark.line + 1
            if not isinstance(record, Mapping):
                rows.append(ManifestRow(line, {"__error__": "a row must be a mapping"}))
                continue
            rows.append(ManifestRow(line, _normalise(record)))
    if len(rows) > MAX_ROWS:
        raise InputError(
            f"the manifest has {len(rows)} rows; at most {MAX_ROWS}",
            source=str(path),
            hint="split it into several manifests",
        )
    return rows


def folder_rows(folder: Path) -> list[ManifestRow]:
    """One row per supported document in ``folder`` (not recursive), by name."""
    from pipeline.adapters import SUPPORTED_SUFFIXES

    documents = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not documents:
        raise InputError(
            "the folder holds no document to render",
            source=str(folder),
            hint=f"put {', '.join(SUPPORTED_SUFFIXES)} files in it, or give a manifest",
        )
    return [ManifestRow(n, {"input": str(p)}) for n, p in enumerate(documents, start=1)]


def _overrides(values: Mapping[str, Any], defaults: RenderOverrides) -> RenderOverrides:
    known = set(RenderOverrides.model_fields)
    unknown = sorted(set(values) - known - _SOURCE_KEYS)
    if unknown:
        raise InputError(
            f"unknown column {unknown[0]!r}",
            hint="columns: input or template, output, field.NAME, and render options: "
            + ", ".join(sorted(known - {"template_id"})),
        )
    given = {k: v for k, v in values.items() if k in known}
    try:
        return defaults.model_copy(
            update=RenderOverrides.model_validate(given).model_dump(exclude_unset=True)
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(f"{where}: {first.get('msg', 'invalid value')}") from error


def _flag(values: Mapping[str, Any], key: str) -> bool | None:
    """A yes/no cell (``true``/``yes``/``1`` …) as a bool; ``None`` when not given.

    Raises:
        InputError: the cell is not a yes/no value (names the column).
    """
    if key not in values:
        return None
    try:
        return TypeAdapter(bool).validate_python(values[key])
    except ValidationError as error:
        raise InputError(
            f"{key}: {values[key]!r} is not a yes/no value", hint="write true or false"
        ) from error


def plan_batch(
    studio: Any,
    source: Path,
    *,
    defaults: RenderOverrides | None = None,
    output_dir: Path | None = None,
    skip_boilerplate: bool | None = None,
) -> Batch:
    """Read ``source`` (a manifest or a folder) and make each row's render request.

    Args:
        studio: the :class:`~studio.service.Studio` (its one request builder is used).
        source: a manifest file or a folder of documents.
        defaults: options for every row (a row's own columns win).
        output_dir: where rows without ``output`` go (default: the manifest's folder).
        skip_boilerplate: leave documents' changelog, licence, contributor and badge
            sections out; ``None``: the setting (``skip_boilerplate``). A row's own
            ``all_sections`` column wins.

    A row's ``offline`` (its column, else ``defaults.offline``, else the setting) also
    governs reading its input: a YouTube URL is refused, not fetched, when offline.

    Raises:
        InputError: the manifest as a whole is unusable. Bad rows do not raise: they carry
            their ``error``.
    """
    from pipeline.adapters import load_document
    from pipeline.templates import instantiate_template

    source = Path(source)
    if skip_boilerplate is None:
        skip_boilerplate = bool(studio.settings.current.skip_boilerplate)
    base = source if source.is_dir() else source.parent
    records = folder_rows(source) if source.is_dir() else read_manifest(source)
    batch = Batch(source)
    for record in records:
        values = dict(record.values)
        label = str(values.get("input") or values.get("template") or f"row {record.line}")
        row = BatchRow(line=record.line, label=label)
        batch.rows.append(row)
        try:
            if "__error__" in values:
                raise InputError(str(values["__error__"]))
            if ("input" in values) == ("template" in values):
                raise InputError(
                    "give either input (a document) or template (a template id)",
                    hint="one of the two columns must be filled",
                )
            overrides = _overrides(values, defaults or RenderOverrides())
            if "input" in values:
                from pipeline.adapters.transcript import source_url, youtube_video_id

                url = source_url(str(values["input"]))
                document = Path(url) if url else (base / str(values["input"])).expanduser()
                # the row's (or the command line's) offline choice, else the setting's
                offline = overrides.offline
                if offline is None:
                    offline = bool(studio.settings.current.offline)
                keep_all = _flag(values, "all_sections")
                spec = load_document(
                    url or document,
                    skip_boilerplate=skip_boilerplate if keep_all is None else not keep_all,
                    offline=offline,
                )
                stem = (youtube_video_id(url) or "video") if url else document.stem
                doc_source = None if url else document
            else:
                template = str(values["template"])
                found = studio.templates.get(template)  # built-in or the user's own
                spec = instantiate_template(found, dict(values.get("fields") or {}))
                overrides = overrides.model_copy(update={"template_id": template})
                stem, doc_source = template, None
            output = values.get("output")
            target = (
                (base / str(output)).expanduser()
                if output
                else (output_dir or base) / f"{stem}.mp4"
            )
            row.request = studio.make_request(
                spec, overrides=overrides, output=target, source=doc_source
            )
            row.state = "planned"
        except StudioError as error:
            row.error = str(error)
    _check_duplicate_outputs(batch)
    return batch


def _check_duplicate_outputs(batch: Batch) -> None:
    seen: dict[Path, int] = {}
    for row in batch.rows:
        if row.request is None:
            continue
        first = seen.setdefault(row.request.output, row.line)
        if first != row.line:
            row.error = f"same output as line {first}: {row.request.output.name}"
            row.request, row.state = None, "invalid"


def request_key(request: RenderRequest | Mapping[str, Any]) -> str:
    """The content key of a request (rows with equal keys render the same video)."""
    data = request.to_json() if isinstance(request, RenderRequest) else dict(request)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def enqueue_batch(studio: Any, batch: Batch, *, priority: int = 0) -> Batch:
    """Queue every valid row that is not already queued or done (same content).

    A finished job whose video is gone, or a failed or cancelled one, is queued again (it
    resumes from the cache). Updates each row's ``job_id``, ``state`` and ``reused``.
    """
    existing: dict[str, Job] = {}
    for job in studio.jobs.list_jobs():
        if job.kind == "render":
            existing.setdefault(request_key(job.input), job)  # newest first
    for row in batch.valid:
        assert row.request is not None
        key = request_key(row.request)
        job = existing.get(key)
        if job is not None:
            row.job_id, row.reused = job.id, True
            done = job.state is JobState.SUCCEEDED and row.request.output.exists()
            if job.state in (JobState.PENDING, JobState.RUNNING) or done:
                row.state = job.state.value
                continue
            if job.state in (JobState.FAILED, JobState.CANCELLED) and studio.jobs.retry_job(job.id):
                row.state = JobState.PENDING.value
                continue
        row.job_id = studio.enqueue(row.request, priority=priority)
        row.state, row.reused = JobState.PENDING.value, False
        existing[key] = studio.jobs.get_job(row.job_id)
    return batch


def refresh_states(studio: Any, batch: Batch) -> Batch:
    """Read each row's job state (and error) from the queue again."""
    for row in batch.rows:
        if row.job_id is None:
            continue
        job = studio.jobs.get_job(row.job_id)
        if job is not None:
            row.state = job.state.value
            if job.state is JobState.FAILED:
                row.error = job.error or "failed"
    return batch


REPORT_COLUMNS = ("line", "source", "state", "output", "job", "reused", "error")


def report_rows(batch: Batch) -> Iterable[dict[str, str]]:
    """The report's rows (:data:`REPORT_COLUMNS`), in manifest order."""
    for row in batch.rows:
        yield {
            "line": str(row.line),
            "source": row.label,
            "state": row.state,
            "output": str(row.request.output) if row.request is not None else "",
            "job": str(row.job_id) if row.job_id is not None else "",
            "reused": "yes" if row.reused else "",
            "error": row.error,
        }


def write_report(batch: Batch, path: Path) -> Path:
    """Write ``batch-report.csv`` (atomically) and return its path."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report_rows(batch))
    atomic_write_text(path, buffer.getvalue())
    return path


def summary(rows: Sequence[BatchRow]) -> dict[str, int]:
    """How many rows are in each state."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts
