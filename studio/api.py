"""The studio's public service API: everything the desktop UI (``ui``) may use of ``studio``.

The UI reaches the studio only through this module (an import-linter contract in
``pyproject.toml`` forbids ``ui`` to import any other ``studio`` module), so the services can
change inside without the widgets noticing, and what the UI depends on is listed here:

* :class:`Studio` — settings, projects, templates, jobs, cache, the one render request, the
  runner;
* the template library (:class:`TemplateLibrary`, ``studio.templates``) and its entries;
* the render request (:class:`RenderRequest`, :class:`RenderOverrides`) and settings
  (:class:`StudioSettings`, :class:`AISettings`, :class:`SecretStore`);
* the job runner and job/project snapshots; the budget and operator report types;
* batch renders (:func:`plan_batch`, :func:`enqueue_batch`, ``studio.batch``) and the export
  of a finished render for video editors (:func:`export_for_editors`);
* the Piper voice pack (:func:`install_voice_pack`, :func:`piper_voice_status`,
  ``studio.voicepacks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.cli import exit_process
from studio.cli import main as cli_main

if TYPE_CHECKING:  # the names below load on first use (the command line stays quick)
    from pipeline.export import EditorExport, export_for_editors
    from studio import paths
    from studio.batch import Batch, BatchRow, enqueue_batch, plan_batch
    from studio.budget import Approval, BudgetGovernor
    from studio.cache import CacheAddress
    from studio.jobs import JobRunner
    from studio.ops import OpsReport, ops_report
    from studio.paid import PaidChoices, budget_policy
    from studio.request import RenderOverrides, RenderRequest, slug, with_setting_defaults
    from studio.service import RENDER, RunnerBusyError, Studio
    from studio.settings import (
        NO_KEYRING_MESSAGE,
        PROVIDER_PRESETS,
        AISettings,
        ApiKeyName,
        SecretStore,
        StudioSettings,
        apply_preset,
        estimate_ai_costs,
        mask_secret,
        matching_preset,
        with_video_price,
    )
    from studio.store import Job, JobState, Project, ProjectSummary
    from studio.templates import (
        GALLERY_KINDS,
        BrokenTemplate,
        ReadOnlyTemplateError,
        TemplateClashError,
        TemplateEntry,
        TemplateLibrary,
        read_template_data,
        template_overrides,
    )
    from studio.voicepacks import install_voice_pack, piper_voice_status


_LAZY = {
    "paths": ("studio", "paths"),
    "EditorExport": ("pipeline.export", "EditorExport"),
    "export_for_editors": ("pipeline.export", "export_for_editors"),
    "Batch": ("studio.batch", "Batch"),
    "BatchRow": ("studio.batch", "BatchRow"),
    "enqueue_batch": ("studio.batch", "enqueue_batch"),
    "plan_batch": ("studio.batch", "plan_batch"),
    "Approval": ("studio.budget", "Approval"),
    "BudgetGovernor": ("studio.budget", "BudgetGovernor"),
    "CacheAddress": ("studio.cache", "CacheAddress"),
    "JobRunner": ("studio.jobs", "JobRunner"),
    "OpsReport": ("studio.ops", "OpsReport"),
    "ops_report": ("studio.ops", "ops_report"),
    "PaidChoices": ("studio.paid", "PaidChoices"),
    "budget_policy": ("studio.paid", "budget_policy"),
    "RenderOverrides": ("studio.request", "RenderOverrides"),
    "RenderRequest": ("studio.request", "RenderRequest"),
    "slug": ("studio.request", "slug"),
    "with_setting_defaults": ("studio.request", "with_setting_defaults"),
    "RENDER": ("studio.service", "RENDER"),
    "RunnerBusyError": ("studio.service", "RunnerBusyError"),
    "Studio": ("studio.service", "Studio"),
    "NO_KEYRING_MESSAGE": ("studio.settings", "NO_KEYRING_MESSAGE"),
    "PROVIDER_PRESETS": ("studio.settings", "PROVIDER_PRESETS"),
    "apply_preset": ("studio.settings", "apply_preset"),
    "matching_preset": ("studio.settings", "matching_preset"),
    "AISettings": ("studio.settings", "AISettings"),
    "ApiKeyName": ("studio.settings", "ApiKeyName"),
    "SecretStore": ("studio.settings", "SecretStore"),
    "StudioSettings": ("studio.settings", "StudioSettings"),
    "estimate_ai_costs": ("studio.settings", "estimate_ai_costs"),
    "mask_secret": ("studio.settings", "mask_secret"),
    "with_video_price": ("studio.settings", "with_video_price"),
    "Job": ("studio.store", "Job"),
    "JobState": ("studio.store", "JobState"),
    "Project": ("studio.store", "Project"),
    "ProjectSummary": ("studio.store", "ProjectSummary"),
    "GALLERY_KINDS": ("studio.templates", "GALLERY_KINDS"),
    "BrokenTemplate": ("studio.templates", "BrokenTemplate"),
    "ReadOnlyTemplateError": ("studio.templates", "ReadOnlyTemplateError"),
    "TemplateClashError": ("studio.templates", "TemplateClashError"),
    "TemplateEntry": ("studio.templates", "TemplateEntry"),
    "TemplateLibrary": ("studio.templates", "TemplateLibrary"),
    "read_template_data": ("studio.templates", "read_template_data"),
    "template_overrides": ("studio.templates", "template_overrides"),
    "install_voice_pack": ("studio.voicepacks", "install_voice_pack"),
    "piper_voice_status": ("studio.voicepacks", "piper_voice_status"),
}
"""Name → (module, attribute): imported when first used (PEP 562), so ``videostudio --help``
does not load the whole engine."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "GALLERY_KINDS",
    "NO_KEYRING_MESSAGE",
    "PROVIDER_PRESETS",
    "RENDER",
    "AISettings",
    "ApiKeyName",
    "Approval",
    "Batch",
    "BatchRow",
    "BrokenTemplate",
    "BudgetGovernor",
    "CacheAddress",
    "EditorExport",
    "Job",
    "JobRunner",
    "JobState",
    "OpsReport",
    "PaidChoices",
    "ReadOnlyTemplateError",
    "Project",
    "ProjectSummary",
    "RenderOverrides",
    "RenderRequest",
    "RunnerBusyError",
    "SecretStore",
    "Studio",
    "StudioSettings",
    "TemplateClashError",
    "TemplateEntry",
    "TemplateLibrary",
    "apply_preset",
    "budget_policy",
    "cli_main",
    "enqueue_batch",
    "estimate_ai_costs",
    "exit_process",
    "export_for_editors",
    "install_voice_pack",
    "mask_secret",
    "matching_preset",
    "ops_report",
    "paths",
    "piper_voice_status",
    "plan_batch",
    "slug",
    "read_template_data",
    "template_overrides",
    "with_setting_defaults",
    "with_video_price",
]
