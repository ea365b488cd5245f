"""The studio's public service API: everything the desktop UI (``ui``) may use of ``studio``.

The UI reaches the studio only through this module (an import-linter contract in
``pyproject.toml`` forbids ``ui`` to import any other ``studio`` module), so the services can
change inside without the widgets noticing, and what the UI depends on is listed here:

* :class:`Studio` — settings, projects, jobs, cache, the one render request, the runner;
* the render request (:class:`RenderRequest`, :class:`RenderOverrides`) and settings
  (:class:`StudioSettings`, :class:`AISettings`, :class:`SecretStore`);
* the job runner and job/project snapshots; the budget and operator report types.
"""

from __future__ import annotations

from studio import paths
from studio.budget import Approval, BudgetGovernor
from studio.cli import exit_process
from studio.cli import main as cli_main
from studio.jobs import JobRunner
from studio.ops import OpsReport, ops_report
from studio.paid import PaidChoices, budget_policy
from studio.request import RenderOverrides, RenderRequest, slug, with_setting_defaults
from studio.service import RENDER, RunnerBusyError, Studio
from studio.settings import (
    NO_KEYRING_MESSAGE,
    AISettings,
    SecretStore,
    StudioSettings,
    estimate_ai_costs,
    mask_secret,
    with_video_price,
)
from studio.store import Job, JobState, Project, ProjectSummary

__all__ = [
    "NO_KEYRING_MESSAGE",
    "RENDER",
    "AISettings",
    "Approval",
    "BudgetGovernor",
    "Job",
    "JobRunner",
    "JobState",
    "OpsReport",
    "PaidChoices",
    "Project",
    "ProjectSummary",
    "RenderOverrides",
    "RenderRequest",
    "RunnerBusyError",
    "SecretStore",
    "Studio",
    "StudioSettings",
    "budget_policy",
    "cli_main",
    "estimate_ai_costs",
    "exit_process",
    "mask_secret",
    "ops_report",
    "paths",
    "slug",
    "with_setting_defaults",
    "with_video_price",
]
