"""The template library: the bundled templates plus the user's own, in one place.

User templates (made in the template editor, or imported with ``videostudio templates
import``) are YAML files of the bundled templates' schema in ``<data>/templates/{id}.yaml``
— the source of truth, readable and portable — indexed in the database's ``templates``
table (migration 0006). Every listing re-reads a file whose SHA-256 differs from its row, so
a file edited or dropped in by hand is picked up, and a file that does not validate is
reported (:meth:`TemplateLibrary.broken`) instead of breaking the list.

Bundled templates are read-only: they cannot be saved over or deleted, and their ids are
reserved. Every write is checked by :func:`pipeline.templates.check_template` (the one set
of rules) and is atomic (nothing half-written is ever visible).

The same library serves the wizard and the gallery (:meth:`TemplateLibrary.entries`),
``videostudio templates`` and ``render --template ID`` (:meth:`TemplateLibrary.get`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.errors import InputError, StudioError
from pipeline.fsutil import atomic_write_text
from pipeline.templates import (
    FieldInfo,
    Template,
    field_infos,
    load_library,
    parse_template,
    template_data,
    template_to_yaml,
)
from pipeline.templates.library import (
    MAX_TEMPLATE_BYTES,
    MODELS,
    TEMPLATES_DIR,
    load_template_data,
)
from pipeline.templates.samples import estimated_length_s
from studio.store.database import Database
from studio.store.tables import TemplateRow, utcnow

TEMPLATES_FOLDER = "templates"
"""Folder of the user's template files inside the data folder."""

Origin = Literal["builtin", "user"]
GALLERY_KINDS: tuple[str, ...] = ("ad", "persona", "tutorial", "user")
"""What the gallery and ``videostudio templates --kind`` filter by: a structure kind, or
``user`` for the user's own templates of any kind."""


class TemplateClashError(InputError):
    """A template with this id already exists (CLI exit code 2)."""


class ReadOnlyTemplateError(InputError):
    """A bundled template cannot be changed or deleted (CLI exit code 2)."""


@dataclass(frozen=True)
class TemplateEntry:
    """One template of the library, as the gallery and the CLI list it.

    Attributes:
        id / name / kind / description: the template's own (kind: ad, persona, tutorial).
        origin: ``builtin`` (read-only, shipped) or ``user``.
        format: its aspect ratio, e.g. ``"9:16"``.
        length_s: estimated ``(shortest, longest)`` length of its video, seconds.
        fields: the fields it takes (own, then common).
        template: the parsed template.
        path: its file (``None`` for a bundled template).
        based_on: for a user template copied from another, that template's id.
        updated_at: when a user template was last saved (UTC).
    """

    id: str
    name: str
    kind: str
    origin: Origin
    description: str
    format: str
    length_s: tuple[float, float]
    fields: tuple[FieldInfo, ...]
    template: Template
    path: Path | None = None
    based_on: str | None = None
    updated_at: datetime | None = None

    @property
    def read_only(self) -> bool:
        """True for a bundled template."""
        return self.origin == "builtin"

    def matches(self, kind: str | None) -> bool:
        """Whether the entry is listed under ``kind`` (``None``: all; ``user``: the user's
        own; else its structure kind)."""
        if kind is None:
            return True
        if kind == "user":
            return self.origin == "user"
        return self.kind == kind


@dataclass(frozen=True)
class BrokenTemplate:
    """A file in the user's template folder that cannot be used, and why."""

    path: Path
    error: str


def _entry(template: Template, origin: Origin, **extra: Any) -> TemplateEntry:
    return TemplateEntry(
        id=template.id,
        name=template.name,
        kind=template.kind,
        origin=origin,
        description=template.description,
        format=template.format.value,
        length_s=_length(template),
        fields=field_infos(template),
        template=template,
        **extra,
    )


def _length(template: Template) -> tuple[float, float]:
    try:
        return estimated_length_s(template)
    except StudioError:  # sample values that do not fit: no estimate, not an error
        return (0.0, 0.0)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _index_row(
    session: Session, template: Template, path: Path, digest: str, now: datetime
) -> TemplateRow:
    """``template``'s index row in ``session`` (added, created and updated ``now``, when it
    is new), holding what the index keeps of it: kind, name, description, format, data
    (JSON), its file's ``path`` and that file's SHA-256 ``digest`` (hex)."""
    row = session.get(TemplateRow, template.id)
    if row is None:
        row = TemplateRow(id=template.id, created_at=now, updated_at=now)
        session.add(row)
    row.kind = template.kind
    row.name = template.name
    row.description = template.description
    row.format = template.format.value
    row.data_json = json.dumps(template_data(template), ensure_ascii=False)
    row.path = str(path)
    row.content_sha256 = digest
    return row


class TemplateLibrary:
    """Bundled and user templates of one data folder.

    Args:
        db: the studio's database (the ``templates`` table indexes the user's files).
        folder: where the user's template files live (``<data>/templates``).
        builtin_root: the bundled templates (tests may point elsewhere).
        clock: "now" as an aware UTC datetime.

    Thread-safe: the GUI calls it from worker threads.
    """

    def __init__(
        self,
        db: Database,
        folder: Path,
        *,
        builtin_root: Path = TEMPLATES_DIR,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.folder = folder
        self.builtin_root = builtin_root
        self.clock = clock
        self._lock = threading.RLock()
        self._builtin_entries: list[TemplateEntry] | None = None
        self._broken: list[BrokenTemplate] = []

    # -- reading --------------------------------------------------------------------------

    def builtins(self) -> dict[str, Template]:
        """The bundled templates by id."""
        return load_library(self.builtin_root)

    def entries(self, kind: str | None = None) -> list[TemplateEntry]:
        """Every usable template: the bundled ones (ads, persona clips, tutorials, each by
        id), then the user's (by name); only those listed under ``kind`` when given (see
        :meth:`TemplateEntry.matches`). Reads the user's folder again (changed files only).
        """
        with self._lock:
            if self._builtin_entries is None:
                self._builtin_entries = [
                    _entry(template, "builtin") for template in self.builtins().values()
                ]
            entries = self._builtin_entries + self._sync()
        return [entry for entry in entries if entry.matches(kind)]

    def broken(self) -> list[BrokenTemplate]:
        """The files of the user's folder that could not be used at the last listing."""
        with self._lock:
            return list(self._broken)

    def ids(self) -> set[str]:
        """Every id in use (bundled and user)."""
        return {entry.id for entry in self.entries()}

    def entry(self, template_id: str) -> TemplateEntry:
        """The entry of ``template_id``.

        Raises:
            InputError: no template has this id (the hint lists close matches).
        """
        entries = {entry.id: entry for entry in self.entries()}
        found = entries.get(template_id)
        if found is None:
            close = [tid for tid in entries if template_id.lower() in tid or tid in template_id]
            hint = f"did you mean {', '.join(close[:5])}? " if close else ""
            raise InputError(
                f"no template {template_id!r}",
                hint=hint + "run `videostudio templates` to list them",
            )
        return found

    def get(self, template_id: str) -> Template:
        """The template ``template_id`` (bundled or the user's).

        Raises:
            InputError: no template has this id.
        """
        return self.entry(template_id).template

    def is_builtin(self, template_id: str) -> bool:
        """True when ``template_id`` is a bundled template's id."""
        return template_id in self.builtins()

    # -- writing --------------------------------------------------------------------------

    def save(
        self,
        data: Template | Mapping[str, Any],
        *,
        previous_id: str | None = None,
        replace: bool = False,
        based_on: str | None = None,
    ) -> TemplateEntry:
        """Check and store a user template; returns its entry.

        Args:
            data: the template, or its data as in a YAML file.
            previous_id: the id it was saved under before (an edit that renamed it: the old
                file and row go); ``None`` for a new template.
            replace: overwrite another user template that has the same id.
            based_on: the template it was copied from (kept in the index).

        Raises:
            InputError: it does not validate (the first problem, its place, what to change).
            ReadOnlyTemplateError: the id is a bundled template's.
            TemplateClashError: another user template has the id and ``replace`` is false.
        """
        # The rules, always (a template object may have been built with rules skipped).
        template = parse_template(data if isinstance(data, Mapping) else template_data(data))
        tid = template.id
        if self.is_builtin(tid):
            raise ReadOnlyTemplateError(
                f"{tid!r} is a built-in template's id; built-in templates are read-only",
                hint="save your template under another id",
            )
        with self._lock:
            existing = {entry.id: entry for entry in self._sync()}
            if tid in existing and tid != previous_id and not replace:
                raise TemplateClashError(
                    f"a template {tid!r} already exists",
                    hint="replace it (--replace), or give yours a new id (--id NEW_ID)",
                )
            old = existing.get(previous_id) if previous_id else None
            now = self.clock()
            text = template_to_yaml(template)
            path = self.folder / f"{tid}.yaml"
            self.folder.mkdir(parents=True, exist_ok=True)
            if tid in existing and existing[tid].path not in (None, path):
                old_path = existing[tid].path
                assert old_path is not None
                old_path.unlink(missing_ok=True)
            atomic_write_text(path, text)
            with self.db.begin_immediate() as session:
                row = _index_row(session, template, path, _sha256(text.encode("utf-8")), now)
                if based_on is not None:
                    row.based_on = based_on
                elif old is not None and row.based_on is None:
                    row.based_on = old.based_on
                row.created_at = row.created_at or now
                row.updated_at = now
                if old is not None and old.id != tid:
                    session.execute(delete(TemplateRow).where(TemplateRow.id == old.id))
            if old is not None and old.id != tid and old.path is not None:
                old.path.unlink(missing_ok=True)
            return self._sync_one(tid)

    def delete(self, template_id: str) -> None:
        """Delete the user template ``template_id`` (its file and its index row).

        Raises:
            ReadOnlyTemplateError: it is a bundled template.
            InputError: no user template has this id.
        """
        if self.is_builtin(template_id):
            raise ReadOnlyTemplateError(
                f"{template_id!r} is a built-in template; built-in templates cannot be deleted",
                hint="only your own templates can be deleted (see `videostudio templates "
                "--kind user`)",
            )
        with self._lock:
            existing = {entry.id: entry for entry in self._sync()}
            entry = existing.get(template_id)
            if entry is None:
                raise InputError(
                    f"there is no user template {template_id!r}",
                    hint="see `videostudio templates --kind user`",
                )
            if entry.path is not None:
                entry.path.unlink(missing_ok=True)
            with self.db.begin() as session:
                session.execute(delete(TemplateRow).where(TemplateRow.id == template_id))

    def import_file(
        self, path: Path, *, replace: bool = False, new_id: str | None = None
    ) -> TemplateEntry:
        """Import a template file as a user template (checked first; nothing is written
        when it does not validate).

        Args:
            path: a template YAML file (e.g. from ``videostudio templates export``).
            replace: overwrite the user template that has the same id.
            new_id: import it under this id instead (a persona clip's id is
                ``persona.topic``: its persona and topic follow the new id).

        Raises:
            InputError: unreadable, or it does not validate (first problem and its place).
            ReadOnlyTemplateError: its id is a bundled template's (give ``new_id``).
            TemplateClashError: a user template has its id (``replace`` or ``new_id``).
        """
        data = read_template_data(path)
        source = str(path)
        if new_id is not None:
            data = dict(data)
            data["id"] = new_id
            if data.get("kind") == "persona":
                persona, dot, topic = new_id.partition(".")
                if not dot:
                    raise InputError(
                        f"a persona clip's id is 'persona.topic', not {new_id!r}",
                        source="--id",
                        hint="e.g. --id savings_builder.my_topic",
                    )
                data["persona"], data["topic"] = persona, topic
        template = parse_template(data, source=source)
        if self.is_builtin(template.id):
            raise ReadOnlyTemplateError(
                f"{template.id!r} is a built-in template's id; built-ins cannot be replaced",
                source=source,
                hint="import it under a new id: --id NEW_ID",
            )
        return self.save(template, replace=replace)

    def export(self, template_id: str, target: Path) -> Path:
        """Write template ``template_id`` (bundled or the user's) to ``target`` as YAML
        (atomically; a folder as ``target`` gets ``{id}.yaml`` inside it). Returns the path.

        Raises:
            InputError: no such template, or ``target`` cannot be written.
        """
        template = self.get(template_id)
        if target.is_dir():
            target = target / f"{template_id}.yaml"
        try:
            atomic_write_text(target, template_to_yaml(template))
        except OSError as error:
            raise InputError(
                f"cannot write {target}: {error.strerror or error}",
                hint="choose a folder you can write to",
            ) from error
        return target

    # -- the index ------------------------------------------------------------------------

    def _rows(self) -> dict[str, TemplateRow]:
        with self.db.begin() as session:
            rows = session.scalars(select(TemplateRow)).all()
            for row in rows:
                session.expunge(row)
        return {row.id: row for row in rows}

    def _sync(self) -> list[TemplateEntry]:
        """Reconcile the index with the folder; return the user's entries by name."""
        rows = self._rows()
        by_path = {row.path: row for row in rows.values() if row.path}
        entries: dict[str, TemplateEntry] = {}
        broken: list[BrokenTemplate] = []
        builtin = self.builtins()
        files = sorted(self.folder.glob("*.yaml")) if self.folder.is_dir() else []
        seen_rows: set[str] = set()
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as error:
                broken.append(BrokenTemplate(path, f"cannot read it: {error}"))
                continue
            digest = _sha256(raw)
            row = by_path.get(str(path))
            template: Template | None = None
            if row is not None and row.content_sha256 == digest:
                try:
                    template = MODELS[row.kind].model_validate(json.loads(row.data_json))
                except (ValidationError, ValueError, KeyError):
                    template = None
            if template is None:
                try:
                    template = _parse_bytes(raw, str(path))
                except StudioError as error:
                    broken.append(BrokenTemplate(path, str(error)))
                    continue
            if template.id in builtin:
                broken.append(
                    BrokenTemplate(path, f"{template.id!r} is a built-in template's id; rename it")
                )
                continue
            if template.id in entries:
                broken.append(
                    BrokenTemplate(path, f"template id {template.id!r} is used by two files")
                )
                continue
            row = self._index(template, path, digest, rows.get(template.id))
            seen_rows.add(row.id)
            entries[template.id] = _entry(
                template,
                "user",
                path=path,
                based_on=row.based_on,
                updated_at=row.updated_at,
            )
        gone = set(rows) - seen_rows
        if gone:
            with self.db.begin() as session:
                session.execute(delete(TemplateRow).where(TemplateRow.id.in_(gone)))
        self._broken = broken
        return sorted(entries.values(), key=lambda e: (e.name.lower(), e.id))

    def _index(
        self, template: Template, path: Path, digest: str, row: TemplateRow | None
    ) -> TemplateRow:
        """The template's row, written when it is new or its file changed."""
        if row is not None and row.content_sha256 == digest and row.path == str(path):
            return row
        now = self.clock()
        with self.db.begin_immediate() as session:
            stored = _index_row(session, template, path, digest, now)
            stored.updated_at = stored.updated_at or now
            session.flush()
            session.expunge(stored)
            return stored

    def _sync_one(self, template_id: str) -> TemplateEntry:
        for entry in self._sync():
            if entry.id == template_id:
                return entry
        raise StudioError(f"template {template_id!r} was saved but cannot be read back")


def _template_text(raw: bytes, source: str) -> str:
    """The text of a template file's bytes.

    Raises:
        InputError: more than :data:`MAX_TEMPLATE_BYTES`, or not UTF-8.
    """
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise InputError("template file is too large", source=source, hint="keep it under 256 KB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError("the file is not UTF-8 text", source=source) from error


def _parse_bytes(raw: bytes, source: str) -> Template:
    text = _template_text(raw, source)
    return parse_template(load_template_data(text, source=source), source=source)


def read_template_data(path: Path) -> dict[str, Any]:
    """The data of a template file (not yet checked).

    Raises:
        InputError: unreadable, too large, not UTF-8, invalid YAML, or not a mapping.
    """
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as error:
        raise InputError("no such file", source=source, hint="check the path") from error
    except OSError as error:
        raise InputError(f"cannot read the file: {error}", source=source) from error
    data = load_template_data(_template_text(raw, source), source=source)
    if not isinstance(data, dict):
        raise InputError(
            "a template file holds a mapping (id, kind, name, …)",
            source=source,
            hint="see docs/templates.md",
        )
    return data


def template_overrides(template: Template) -> dict[str, Any]:
    """The render choices a template carries, as ``RenderOverrides`` fields: its id (for
    approvals and cost records), and its music and caption style once the render request
    has those options (until then they are kept in the template only)."""
    from studio.request import RenderOverrides

    choices: dict[str, Any] = {"template_id": template.id}
    known = RenderOverrides.model_fields
    for name in ("music", "caption_style"):
        value = getattr(template, name, "")
        if value and name in known:
            choices[name] = value
    return choices
