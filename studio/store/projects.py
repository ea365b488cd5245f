"""Saving and loading projects: a :class:`pipeline.models.VideoSpec` plus where it came from.

``projects.spec_json`` is the source of truth (``model_dump_json`` / ``model_validate_json``),
stored with its layout version (``spec_version``) and migrated on load
(:func:`pipeline.models.migrate_spec`). ``overrides_json`` keeps the user's render choices for
the project (paid AI, encoder, …: a ``studio.request.RenderOverrides``).
``scenes`` rows are rewritten on every save with each scene's JSON and its SHA-256, so the
editor can tell which scenes changed since the last save.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select

from pipeline.errors import InputError, StudioError
from pipeline.models import SPEC_SCHEMA_VERSION, VideoSpec, migrate_spec, spec_error
from studio.store.database import Database, rows_affected
from studio.store.tables import ProjectRow, SceneRow, utcnow


class ProjectNotFoundError(StudioError, KeyError):
    """No project has this id (it may have been deleted)."""

    def __init__(self, project_id: int) -> None:
        super().__init__(
            f"project {project_id} does not exist", hint="reload the project list and pick again"
        )
        self.project_id = project_id

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return StudioError.__str__(self)


@dataclass(frozen=True, slots=True)
class Project:
    """A loaded project. ``scene_hashes`` are the SHA-256 of each scene's JSON, in order;
    ``overrides`` the user's render choices (a ``RenderOverrides`` as JSON, ``{}``: none)."""

    id: int
    name: str
    source_path: Path | None
    source_kind: str
    spec: VideoSpec
    scene_hashes: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """One line of the project list."""

    id: int
    name: str
    source_kind: str
    updated_at: datetime


def scene_hash(scene_json: str) -> str:
    """SHA-256 (hex) of one scene's JSON text."""
    return hashlib.sha256(scene_json.encode("utf-8")).hexdigest()


class ProjectStore:
    """Project persistence on a :class:`Database`.

    Args:
        db: the open database.
        clock: returns "now" as an aware UTC datetime.
    """

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def save_project(
        self,
        spec: VideoSpec,
        *,
        name: str | None = None,
        source_path: Path | None = None,
        source_kind: str = "",
        project_id: int | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> int:
        """Insert a project, or overwrite project ``project_id``; returns the id.

        Args:
            spec: the video to save.
            name: display name (default: the spec's title).
            source_path: the document it was made from, if any.
            source_kind: ``"markdown"``, ``"wizard"``, ``"template"``, …
            overrides: the user's render choices; ``None`` keeps what is stored.

        Raises:
            ProjectNotFoundError: ``project_id`` is given but does not exist.
        """
        now = self.clock()
        scene_jsons = [scene.model_dump_json() for scene in spec.scenes]
        # Read-then-write: take the write lock first (a deferred transaction that reads and
        # then writes fails at once with "database is locked" when a job wrote meanwhile).
        with self.db.begin_immediate() as session:
            if project_id is None:
                row = ProjectRow(created_at=now)
                session.add(row)
            else:
                found = session.get(ProjectRow, project_id)
                if found is None:
                    raise ProjectNotFoundError(project_id)
                row = found
            row.name = name if name is not None else spec.title
            row.source_path = str(source_path) if source_path is not None else None
            row.source_kind = source_kind
            row.spec_json = spec.model_dump_json()
            row.spec_version = SPEC_SCHEMA_VERSION
            if overrides is not None:
                row.overrides_json = json.dumps(dict(overrides), sort_keys=True)
            row.updated_at = now
            session.flush()
            session.execute(delete(SceneRow).where(SceneRow.project_id == row.id))
            session.add_all(
                SceneRow(
                    project_id=row.id,
                    position=position,
                    scene_json=scene_json,
                    content_hash=scene_hash(scene_json),
                )
                for position, scene_json in enumerate(scene_jsons)
            )
            return row.id

    def load_project(self, project_id: int) -> Project:
        """Load a project and validate its spec.

        Raises:
            ProjectNotFoundError: no such project.
            pipeline.errors.InputError: the stored spec no longer validates.
        """
        with self.db.begin() as session:
            row = session.get(ProjectRow, project_id)
            if row is None:
                raise ProjectNotFoundError(project_id)
            hashes = session.scalars(
                select(SceneRow.content_hash)
                .where(SceneRow.project_id == project_id)
                .order_by(SceneRow.position)
            ).all()
        try:
            data = migrate_spec(json.loads(row.spec_json), row.spec_version or 1)
            spec = VideoSpec.model_validate(data)
        except ValidationError as error:
            raise spec_error(error, source=f"project {project_id}") from error
        except ValueError as error:  # not JSON
            raise InputError(
                f"project {project_id} is damaged ({error})",
                hint="delete it and import its document again",
            ) from error
        try:
            overrides = json.loads(row.overrides_json) if row.overrides_json else {}
        except ValueError:
            overrides = {}
        return Project(
            id=row.id,
            name=row.name,
            source_path=Path(row.source_path) if row.source_path else None,
            source_kind=row.source_kind,
            spec=spec,
            scene_hashes=tuple(hashes),
            created_at=row.created_at,
            updated_at=row.updated_at,
            overrides=overrides if isinstance(overrides, dict) else {},
        )

    def list_projects(self) -> list[ProjectSummary]:
        """All projects, most recently saved first."""
        query = select(ProjectRow).order_by(ProjectRow.updated_at.desc(), ProjectRow.id.desc())
        with self.db.begin() as session:
            return [
                ProjectSummary(row.id, row.name, row.source_kind, row.updated_at)
                for row in session.scalars(query)
            ]

    def delete_project(self, project_id: int) -> bool:
        """Delete a project and its scenes (its jobs keep running, unlinked). ``False`` if
        it did not exist."""
        with self.db.begin() as session:
            result = session.execute(delete(ProjectRow).where(ProjectRow.id == project_id))
            return rows_affected(result) == 1
