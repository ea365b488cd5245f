"""User settings (``settings.json``) and API keys (the system keyring).

Settings are a versioned pydantic model, like napari's settings (``schema_version``) with an
Orange-style :func:`migrate_settings` hook that upgrades older files step by step:

* :func:`load_settings` never crashes on a damaged file: it returns the defaults and puts a
  message in :attr:`StudioSettings.load_warnings` that the UI shows. The damaged file is kept
  beside the original as ``settings.json.bad``.
* A file written by a newer Video Studio (higher ``schema_version``) is refused with
  :class:`SettingsTooNewError` rather than silently losing what it holds.
* :func:`save_settings` writes atomically (temporary file + rename).

API keys never go into ``settings.json`` or a log: :class:`SecretStore` keeps them in the
system keyring (service ``"videostudio"``) or, with no usable keyring, in memory for the
lifetime of the process. The SDKs' own environment variables (``OPENAI_API_KEY``,
``OPENAI_BASE_URL``, ``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``) are honoured, so a usual
setup works unchanged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail as keyring_fail
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pipeline.ai.base import CostEstimate
from pipeline.ai.costs import (
    ImagePrice,
    LlmPrice,
    PriceTable,
    TtsPrice,
    VideoPrice,
    default_price_table,
    estimate_image,
    estimate_llm,
    estimate_video,
)
from pipeline.avio import ENCODER_PREFERENCES
from pipeline.errors import InputError, StudioError
from pipeline.fsutil import atomic_write_text
from pipeline.models import VideoFormat, VideoSpec
from studio import paths

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
"""Version of the settings file layout this code writes (see :func:`migrate_settings`)."""

SETTINGS_FILE = "settings.json"
ENV_PREFIX = "VIDEOSTUDIO_"
"""Environment variables ``VIDEOSTUDIO_<FIELD>`` override the settings file."""
KEYRING_SERVICE = "videostudio"

LlmProvider = Literal["anthropic", "openai"]
ApiKeyName = Literal["anthropic", "openai", "video", "image"]

API_KEY_ENV: dict[str, str] = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "video": "VIDEOSTUDIO_VIDEO_API_KEY",
    "image": "VIDEOSTUDIO_IMAGE_API_KEY",
}
"""Key name → environment variable read when the store has no key. The video gateway has its
own variable: an OpenAI key is never sent to a third-party gateway by accident."""

BASE_URL_ENV: dict[str, str] = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}

NO_KEYRING_MESSAGE = "No system keyring found: keys are kept only while the app runs"


class SettingsTooNewError(StudioError):
    """The settings file was written by a newer Video Studio."""


# -- prices ----------------------------------------------------------------------------------


class AISettings(BaseModel):
    """Optional paid AI. Everything is off by default; offline needs none of it.

    Attributes:
        llm_enabled: write narration with an LLM (else rules).
        llm_provider / llm_model: which LLM.
        openai_base_url / anthropic_base_url: ``None`` → the SDK default or the SDK's own
            environment variable (``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``).
        video_clips_enabled: ask an OpenAI-compatible Videos API for clip scenes.
        video_base_url / video_model / video_size / video_seconds: that API's settings;
            video_poll_interval_s: seconds between status polls of a clip job.
        image_enabled: ask an OpenAI-compatible images endpoint for a still per clip scene
            that has no AI clip (the cheaper tier, drawn with pan and zoom), and for a
            background per title, list, quote … scene from its narration.
        image_base_url / image_model / image_size / image_quality: that endpoint's settings
            (``image_quality`` ``""`` leaves it to the endpoint); image_keyless: the endpoint
            needs no key (a local server or a keyless LiteLLM proxy).
        llm_keyless: the OpenAI-compatible LLM endpoint needs no key (a local Ollama or LM
            Studio server; see :data:`PROVIDER_PRESETS`).
        daily_budget_usd: daily budget; alerts at ``alert_fraction`` of it, hard stop at
            ``hard_stop_fraction`` unless an operator approves.
        prices: the prices estimates use: a :class:`~pipeline.ai.costs.PriceTable` whose every
            figure carries the date it was read and its source (check them).
    """

    model_config = ConfigDict(extra="ignore")

    llm_enabled: bool = False
    llm_provider: LlmProvider = "anthropic"
    llm_model: str = "claude-haiku-4-5"
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    video_clips_enabled: bool = False
    video_base_url: str | None = None
    video_model: str = "sora-2"
    video_size: str = Field(default="1280x720", pattern=r"^\d{2,5}x\d{2,5}$")
    video_seconds: Literal[4, 8, 12] = 8
    video_poll_interval_s: float = Field(default=5.0, gt=0, le=120)
    image_enabled: bool = False
    image_base_url: str | None = None
    image_model: str = "gpt-image-1"
    image_size: str = Field(default="1536x1024", pattern=r"^\d{2,5}x\d{2,5}$")
    image_quality: Literal["", "low", "medium", "high", "standard", "hd", "auto"] = "medium"
    image_keyless: bool = False
    llm_keyless: bool = False
    daily_budget_usd: float = Field(default=5.00, ge=0)
    alert_fraction: float = Field(default=0.8, gt=0, le=1)
    hard_stop_fraction: float = Field(default=1.2, ge=1)
    prices: PriceTable = Field(default_factory=default_price_table)

    def base_url(self, provider: LlmProvider, env: Mapping[str, str] | None = None) -> str | None:
        """The base URL to give ``provider``'s SDK: the setting, else its env var, else None."""
        value = self.openai_base_url if provider == "openai" else self.anthropic_base_url
        if value:
            return value
        return (os.environ if env is None else env).get(BASE_URL_ENV[provider]) or None


@dataclass(frozen=True)
class ProviderPreset:
    """A ready-made provider setup the Settings dialog offers (data only).

    Attributes:
        id: stable name (``"ollama"``).
        label: what the combo box shows.
        description: one sentence for the user (what must run, what it costs).
        changes: the :class:`AISettings` fields it sets.
        free_llm_model: with a local LLM server, the model priced at $0 in the price table
            (a local server bills nothing; the ledger still records each call, at $0).
    """

    id: str
    label: str
    description: str
    changes: Mapping[str, Any]
    free_llm_model: str | None = None


LOCAL_LLM_SOURCE = "local server (Ollama / LM Studio): no charge"

PROVIDER_PRESETS: tuple[ProviderPreset, ...] = (
    ProviderPreset(
        id="ollama",
        label="Local LLM: Ollama",
        description="Narration by a model running on this computer with Ollama "
        "(`ollama serve`, then `ollama pull llama3.2`): no key, no cost, works offline.",
        changes={
            "llm_provider": "openai",
            "openai_base_url": "http://localhost:11434/v1",
            "llm_model": "llama3.2",
            "llm_keyless": True,
        },
        free_llm_model="llama3.2",
    ),
    ProviderPreset(
        id="lmstudio",
        label="Local LLM: LM Studio",
        description="Narration by the model loaded in LM Studio's local server (Developer → "
        "Start server, port 1234): no key, no cost, works offline.",
        changes={
            "llm_provider": "openai",
            "openai_base_url": "http://localhost:1234/v1",
            "llm_model": "local-model",
            "llm_keyless": True,
        },
        free_llm_model="local-model",
    ),
    ProviderPreset(
        id="litellm",
        label="LiteLLM proxy for video and image models",
        description="AI clips and scene images through a LiteLLM proxy (`litellm --config "
        "config.yaml`, port 4000) that routes to Veo, Runway, gpt-image or others; use the "
        "proxy's key as the Video and Image API key, and its model names.",
        changes={
            "video_base_url": "http://localhost:4000/v1",
            "video_model": "veo-3.0-fast-generate-001",
            "image_base_url": "http://localhost:4000/v1",
            "image_model": "gpt-image-1-mini",
            "image_quality": "medium",
        },
    ),
    ProviderPreset(
        id="openai",
        label="OpenAI (default endpoints, API key needed)",
        description="OpenAI's own endpoints for narration and images (needs an OpenAI key).",
        changes={
            "llm_provider": "openai",
            "openai_base_url": None,
            "llm_model": "gpt-5-mini",
            "llm_keyless": False,
            "image_base_url": None,
            "image_model": "gpt-image-1",
        },
    ),
)
"""The provider presets of Settings → Paid AI (a combo box)."""


def provider_preset(preset_id: str) -> ProviderPreset:
    """The preset called ``preset_id``.

    Raises:
        KeyError: no such preset.
    """
    for preset in PROVIDER_PRESETS:
        if preset.id == preset_id:
            return preset
    raise KeyError(f"no provider preset {preset_id!r}")


def apply_preset(ai: AISettings, preset_id: str) -> AISettings:
    """``ai`` with the preset's fields set; a local LLM preset also prices its model at $0
    in the price table (dated today, source :data:`LOCAL_LLM_SOURCE`).

    Raises:
        KeyError: no such preset.
    """
    preset = provider_preset(preset_id)
    updated = ai.model_copy(update=dict(preset.changes))
    if preset.free_llm_model:
        free = LlmPrice(
            input_usd_per_mtok=0.0,
            output_usd_per_mtok=0.0,
            as_of=date.today(),
            source=LOCAL_LLM_SOURCE,
        )
        llm = {**updated.prices.llm}
        llm["openai"] = {**llm.get("openai", {}), preset.free_llm_model: free}
        updated = updated.model_copy(
            update={"prices": updated.prices.model_copy(update={"llm": llm})}
        )
    return AISettings.model_validate(updated.model_dump(mode="json"))


def matching_preset(ai: AISettings) -> str | None:
    """The id of the preset whose fields ``ai`` has, or ``None`` (a custom setup)."""
    for preset in PROVIDER_PRESETS:
        if all(getattr(ai, name) == value for name, value in preset.changes.items()):
            return preset.id
    return None


class StudioSettings(BaseSettings):
    """The studio's one settings model: everything the user can set (API keys excepted).

    Values come, highest first, from explicit overrides (command-line options), the
    environment (``VIDEOSTUDIO_<FIELD>``, nested with ``__``: ``VIDEOSTUDIO_AI__LLM_ENABLED``),
    the settings file (``<data>/settings.json``) and the defaults; :func:`load_settings` merges
    them and :class:`SettingsStore` keeps the result for the whole studio. Every layer reads
    settings through the studio (never from the environment itself); QSettings holds only
    window geometry.

    Attributes:
        schema_version: layout version of the file (:data:`SCHEMA_VERSION`).
        default_voice: ``"male"``, ``"female"`` or a provider voice id; used when a source
            names no voice.
        default_language: language code (``"en"``) used when a source names none.
        default_format: aspect ratio of documents that do not set one.
        captions: burn captions in by default; ``None`` → on for 9:16 only.
        caption_style: look of burned-in captions, ``"highlight"`` (the spoken word in
            yellow) or ``"plain"``.
        encoder: ``"auto"`` or a forced encoder (see ``pipeline.avio.ENCODER_PREFERENCES``).
        offline: never use the network (speech from the offline voices only);
            ``VIDEOSTUDIO_OFFLINE=1`` or ``--offline``.
        output_dir: where renders go; ``None`` → the current folder for the command line and
            :func:`default_output_dir` for the desktop studio.
        cache_quota_gb: size limit of the content cache, in GB (10⁹ bytes).
        theme: look of the app, ``"light"`` or ``"dark"``.
        last_folder: the folder of the last document opened in the studio.
        target_duration_s: condense every video to about this length in seconds (±15 %,
            :func:`pipeline.condense.condense_spec`); ``None`` renders documents in full.
        skip_boilerplate: leave changelog, licence, contributor and badge sections out of
            documents (:data:`pipeline.adapters.scenes.BOILERPLATE_SECTIONS`).
        offline_voice: the offline voice tried first, ``"piper"`` (English) or ``"espeak"``;
            ``None`` → Piper for English. ``VIDEOSTUDIO_OFFLINE_VOICE`` or ``--offline-voice``.
        loudness_lufs: integrated loudness of every output: −14, −16 (default) or −23 LUFS.
        music: a music bed under the voice (``calm``, ``bright``, ``pulse`` or a file's path);
            ``None`` for none.
        music_level_db: the bed's level under the voice while it speaks, dB.
        ai: optional paid AI.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        validate_assignment=True,
    )

    schema_version: int = SCHEMA_VERSION
    default_voice: str = "male"
    default_language: str = "en"
    default_format: VideoFormat = VideoFormat.LANDSCAPE
    captions: bool | None = None
    caption_style: Literal["highlight", "plain"] = "highlight"
    encoder: str = "auto"
    offline: bool = False
    output_dir: Path | None = None
    cache_quota_gb: float = Field(default=5.0, gt=0, le=10_000)
    theme: Literal["light", "dark"] = "light"
    last_folder: Path | None = None
    target_duration_s: float | None = Field(default=None, gt=0, le=36_000)
    skip_boilerplate: bool = True
    offline_voice: Literal["piper", "espeak"] | None = None
    loudness_lufs: float = Field(default=-16.0, ge=-31.0, le=-9.0)
    music: str | None = None
    music_level_db: float = Field(default=-15.0, ge=-40.0, le=0.0)
    ai: AISettings = Field(default_factory=AISettings)

    _load_warnings: list[str] = PrivateAttr(default_factory=list)
    _file_data: dict[str, Any] = PrivateAttr(default_factory=dict)
    _overridden: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor arguments over ``VIDEOSTUDIO_*`` variables; :func:`load_settings`
        validates an already merged dict with the environment switched off."""
        if _ENVIRONMENT_OFF.get():
            return (init_settings,)
        return (init_settings, env_settings)

    @field_validator("encoder")
    @classmethod
    def _known_encoder(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ENCODER_PREFERENCES:
            raise ValueError(f"encoder must be one of {', '.join(ENCODER_PREFERENCES)}")
        return value

    def __eq__(self, other: object) -> bool:
        """Settings are equal when their values are (where they came from does not count)."""
        if not isinstance(other, StudioSettings):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable (validate_assignment)

    @property
    def load_warnings(self) -> list[str]:
        """Problems met while loading (shown by the UI); empty when the file was fine."""
        return self._load_warnings

    @property
    def overridden(self) -> dict[str, Any]:
        """Values set by the environment or the command line (nested like the model); they
        win over the file and are never written into it."""
        return self._overridden

    @property
    def cache_quota_bytes(self) -> int:
        """:attr:`cache_quota_gb` in bytes."""
        return int(self.cache_quota_gb * 10**9)

    def resolved_output_dir(self) -> Path:
        """:attr:`output_dir`, or :func:`default_output_dir` when unset."""
        return self.output_dir or default_output_dir()


_ENVIRONMENT_OFF: ContextVar[bool] = ContextVar("videostudio_settings_env_off", default=False)


def _validate_without_environment(data: Mapping[str, Any]) -> StudioSettings:
    token = _ENVIRONMENT_OFF.set(True)
    try:
        return StudioSettings.model_validate(dict(data))
    finally:
        _ENVIRONMENT_OFF.reset(token)


def environment_overrides() -> dict[str, Any]:
    """The settings the ``VIDEOSTUDIO_*`` environment variables set, nested like the model
    (read with pydantic-settings' own environment source)."""
    token = _ENVIRONMENT_OFF.set(True)
    try:
        return dict(EnvSettingsSource(StudioSettings)())
    finally:
        _ENVIRONMENT_OFF.reset(token)


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def default_output_dir() -> Path:
    """The user's Videos folder (platformdirs), ``~/Videos`` style."""
    import platformdirs

    return Path(platformdirs.user_videos_dir())


# -- migration -------------------------------------------------------------------------------


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (pre-release; also files with no ``schema_version``) kept the quota in
    bytes and the AI options flat at the top level; version 2 groups them under ``ai``."""
    data = dict(data)
    if "cache_quota_bytes" in data and "cache_quota_gb" not in data:
        data["cache_quota_gb"] = int(data.pop("cache_quota_bytes")) / 10**9
    ai = dict(data.get("ai") or {})
    for key in ("llm_enabled", "llm_provider", "llm_model", "daily_budget_usd"):
        if key in data:
            ai.setdefault(key, data.pop(key))
    data["ai"] = ai
    return data


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 kept a flat price list under ``ai.prices``; version 3 keeps the dated
    :class:`~pipeline.ai.costs.PriceTable`. Old lists are replaced by the dated defaults (the
    operator reviews prices in Settings); a custom video price is carried over."""
    data = dict(data)
    ai = dict(data.get("ai") or {})
    old = ai.pop("prices", None)
    if isinstance(old, dict) and "video_usd_per_second" in old:
        model = str(ai.get("video_model") or "sora-2")
        table = default_price_table()
        ai["prices"] = _with_video_price(
            table, model, float(old["video_usd_per_second"])
        ).model_dump(mode="json")
    elif isinstance(old, dict):
        ai["prices"] = old
    data["ai"] = ai
    return data


def _with_video_price(table: PriceTable, model: str, usd_per_s: float) -> PriceTable:
    price = VideoPrice(usd_per_s=usd_per_s, as_of=date.today(), source=OPERATOR_PRICE_SOURCE)
    return table.model_copy(update={"video": {**table.video, model: price}})


def with_video_price(ai: AISettings, usd_per_s: float) -> AISettings:
    """``ai`` with the per-second price of its video model set by the operator (dated today)."""
    if ai.prices.video_price(ai.video_model).usd_per_s == usd_per_s:
        return ai
    return ai.model_copy(update={"prices": _with_video_price(ai.prices, ai.video_model, usd_per_s)})


OPERATOR_PRICE_SOURCE = "set by the operator in Settings"
"""The source of a price the operator typed in Settings (kept when the table is refreshed)."""


def refresh_prices(stored: PriceTable, current: PriceTable | None = None) -> PriceTable:
    """``stored`` (the table a settings file keeps) brought up to the built-in table when the
    built-in one was reviewed later (``as_of``): a refreshed Video Studio reaches users who
    saved their settings before the refresh.

    Kept from ``stored``: the rows the operator or a preset set (dated after ``stored`` was
    reviewed, or sourced :data:`OPERATOR_PRICE_SOURCE` / :data:`LOCAL_LLM_SOURCE`) and rows of
    models the built-in table does not list. Every other row, the notes and the date come from
    ``current`` (default :func:`~pipeline.ai.costs.default_price_table`). A table as new as
    the built-in one is returned unchanged.
    """
    current = current or default_price_table()
    if stored.as_of >= current.as_of:
        return stored

    def own(price: VideoPrice | ImagePrice | LlmPrice | TtsPrice) -> bool:
        return price.as_of > stored.as_of or price.source in (
            OPERATOR_PRICE_SOURCE,
            LOCAL_LLM_SOURCE,
        )

    def merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        rows = dict(new)
        for key, price in old.items():
            if key not in new or own(price):
                rows[key] = price
        return rows

    def merged_nested(
        old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        return {
            provider: merged(old.get(provider, {}), new.get(provider, {}))
            for provider in {**old, **new}
        }

    return current.model_copy(
        update={
            "video": merged(stored.video, current.video),
            "image": merged(stored.image, current.image),
            "llm": merged_nested(stored.llm, current.llm),
            "tts": merged_nested(stored.tts, current.tts),
        }
    )


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}
"""``n`` → function that upgrades a version-``n`` dict to version ``n + 1``."""


def migrate_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a settings dict of any older version to :data:`SCHEMA_VERSION`.

    Raises:
        SettingsTooNewError: the dict comes from a newer Video Studio.
    """
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"schema_version {version!r} is not a positive whole number")
    if version > SCHEMA_VERSION:
        raise SettingsTooNewError(
            f"the settings file was written by a newer Video Studio (version {version}; "
            f"this one understands up to {SCHEMA_VERSION})",
            hint="update Video Studio, or move settings.json away to start from defaults",
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        log.info("settings migrated to schema version %d", version)
    data["schema_version"] = SCHEMA_VERSION
    return data


def settings_path(data_dir: Path | None = None) -> Path:
    """``<data_dir>/settings.json`` (default data folder: :func:`studio.paths.data_dir`)."""
    return (data_dir or paths.data_dir()) / SETTINGS_FILE


def _read_settings_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The file's settings, migrated and validated (``{}`` when missing or damaged) and the
    warnings to show. A damaged file is copied to ``<name>.bad`` first.

    Raises:
        SettingsTooNewError: the file comes from a newer Video Studio.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except OSError as error:
        return {}, [_warn(path, f"could not be read ({error.strerror})", keep=False)]
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the file does not hold a JSON object")
        data = migrate_settings(data)
        _validate_without_environment(data)
        return data, []
    except SettingsTooNewError:
        raise
    except (ValueError, ValidationError, KeyError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return {}, [_warn(path, f"is damaged ({reason})", keep=True)]


def load_settings(
    path: Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> StudioSettings:
    """Read the settings: ``overrides`` over the ``VIDEOSTUDIO_*`` environment over the file
    over the defaults.

    A damaged file (bad JSON, invalid values) gives the defaults plus a message in
    :attr:`StudioSettings.load_warnings`; the file is copied to ``<name>.bad`` first.

    Args:
        path: the settings file (default :func:`settings_path`).
        overrides: values given on the command line, nested like the model
            (e.g. ``{"encoder": "x264", "ai": {"llm_enabled": True}}``).

    Raises:
        SettingsTooNewError: the file comes from a newer Video Studio.
        InputError: an environment variable or an override holds an invalid value (the
            message names it).
    """
    path = path or settings_path()
    file_data, warnings = _read_settings_file(path)
    environment = environment_overrides()
    top = _deep_merge(environment, overrides or {})
    try:
        settings = _validate_without_environment(_deep_merge(file_data, top))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        variable = ENV_PREFIX + where.upper().replace(".", "__")
        raise InputError(
            f"setting {where!r} is invalid: {first.get('msg', 'invalid value')}",
            source=f"{variable} or the command line",
            hint="fix or unset that environment variable / option",
        ) from error
    prices = refresh_prices(settings.ai.prices)
    if prices is not settings.ai.prices:  # saved before the built-in table was refreshed
        ai = settings.ai.model_copy(update={"prices": prices})
        settings = settings.model_copy(update={"ai": ai})
        log.info("price table of %s refreshed to the built-in one of %s", path, prices.as_of)
    settings._load_warnings.extend(warnings)
    settings._file_data = file_data
    settings._overridden = top
    return settings


def _warn(path: Path, problem: str, *, keep: bool) -> str:
    message = f"Settings file {path} {problem}; the defaults are used."
    if keep:
        backup = path.with_name(path.name + ".bad")
        try:
            shutil.copyfile(path, backup)
            message += f" The old file was kept as {backup.name}."
        except OSError:
            pass
    log.warning("%s", message)
    return message


def _without_overrides(
    data: dict[str, Any], overridden: Mapping[str, Any], file_data: Mapping[str, Any]
) -> dict[str, Any]:
    """``data`` with every overridden value put back to what the file held (or dropped)."""
    result = dict(data)
    for key, value in overridden.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            inner = file_data.get(key)
            result[key] = _without_overrides(
                result[key], value, inner if isinstance(inner, Mapping) else {}
            )
        elif key in file_data:
            result[key] = file_data[key]
        else:
            result.pop(key, None)
    return result


def save_settings(settings: StudioSettings, path: Path | None = None) -> None:
    """Write ``settings`` as JSON, atomically. API keys are never part of it, and neither are
    values that came from the environment or the command line (the file keeps its own)."""
    path = path or settings_path()
    data = settings.model_dump(mode="json")
    data = _without_overrides(data, settings.overridden, settings._file_data)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    log.info("settings saved to %s", path)


SettingsListener = Callable[[StudioSettings], None]
"""Called with the new settings after they changed."""


class SettingsStore:
    """The studio's settings: loaded once, changed only through :meth:`update`, observed.

    Args:
        path: the settings file.
        overrides: command-line values (kept on top of every later change).

    Listeners are called on the thread that calls :meth:`update`; a Qt view must hop to its
    own thread (e.g. through a queued signal).

    Raises:
        SettingsTooNewError / InputError: as :func:`load_settings`.
    """

    def __init__(self, path: Path, overrides: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self._overrides = dict(overrides or {})
        self._lock = threading.Lock()
        self._current = load_settings(path, overrides=self._overrides)
        self._listeners: list[SettingsListener] = []

    @property
    def current(self) -> StudioSettings:
        """The settings in effect now (file + environment + command line)."""
        with self._lock:
            return self._current

    def update(self, settings: StudioSettings) -> StudioSettings:
        """Save ``settings`` (what the user chose) and tell every listener.

        Returns:
            The settings now in effect (environment and command-line values still win).

        Raises:
            OSError: the file could not be written (nothing changes then).
        """
        with self._lock:
            settings._file_data = self._current._file_data
            settings._overridden = self._current.overridden
            save_settings(settings, self.path)
            self._current = load_settings(self.path, overrides=self._overrides)
            current = self._current
            listeners = list(self._listeners)
        for listener in listeners:
            listener(current)
        return current

    def subscribe(self, listener: SettingsListener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe


# -- cost estimates --------------------------------------------------------------------------

LLM_INPUT_TOKENS_PER_SCENE = 600
"""Assumed prompt size per scene for LLM narration: instructions + the scene's content."""
LLM_OUTPUT_TOKENS_PER_SCENE = 250
"""Assumed narration size per scene (about 180 words)."""


def estimate_ai_costs(
    spec: VideoSpec, ai: AISettings, *, llm: bool, clips: bool, images: bool = False
) -> list[CostEstimate]:
    """What the paid AI choices would cost for ``spec``, before anything is spent.

    Clips: number of clip scenes × ``ai.video_seconds`` × the video price. Images: one per
    clip scene (the fallback of its clip) and one per narrated document scene that takes a
    background (:data:`~pipeline.render.backdrop.BACKDROP_SCENE_TYPES`; every one when the
    LLM writes the narration) × the image price
    (an upper bound: cached images cost nothing). LLM: scenes ×
    (:data:`LLM_INPUT_TOKENS_PER_SCENE` in + :data:`LLM_OUTPUT_TOKENS_PER_SCENE` out) at the
    provider's token prices. Empty when both are off.
    """
    estimates: list[CostEstimate] = []
    if llm:
        n = len(spec.scenes)
        chars = round(n * LLM_INPUT_TOKENS_PER_SCENE * ai.prices.chars_per_token)
        estimate = estimate_llm(
            chars, n * LLM_OUTPUT_TOKENS_PER_SCENE, ai.llm_provider, ai.llm_model, ai.prices
        )
        estimates.append(replace(estimate, description=f"narration for {n} scenes"))
    clip_scenes = sum(1 for scene in spec.scenes if scene.scene_type == "clip")
    if clips and clip_scenes:
        seconds = clip_scenes * ai.video_seconds
        estimate = estimate_video(seconds, ai.video_model, ai.prices)
        estimates.append(
            replace(estimate, description=f"{clip_scenes} AI clips of {ai.video_seconds} s")
        )
    from pipeline.render.backdrop import BACKDROP_SCENE_TYPES  # the renderers: only here

    image_scenes = clip_scenes + sum(
        1
        for scene in spec.scenes
        if scene.scene_type in BACKDROP_SCENE_TYPES and (llm or (scene.narration or "").strip())
    )
    if images and image_scenes:
        estimate = estimate_image(
            ai.image_model,
            ai.prices,
            quality=ai.image_quality,
            size=ai.image_size,
            count=image_scenes,
        )
        estimates.append(replace(estimate, description=f"{image_scenes} AI scene images"))
    return estimates


# -- secrets ---------------------------------------------------------------------------------


def mask_secret(secret: str | None) -> str:
    """A secret as it may be shown or logged: ``"…wxyz"`` for long keys, else ``"****"``."""
    if not secret:
        return ""
    return f"…{secret[-4:]}" if len(secret) >= 20 else "****"


_PROCESS_SECRETS: dict[str, str] = {}
"""Keys kept for the process lifetime when no keyring can be used."""


def forget_memory_secrets() -> None:
    """Drop the in-memory keys (tests; "sign out")."""
    _PROCESS_SECRETS.clear()


class SecretStore:
    """API keys in the system keyring, or in memory when there is none.

    Args:
        backend: the keyring backend (default: ``keyring.get_keyring()``).
        env: environment for the SDK variables (default ``os.environ``).

    ``persistent`` is False when keys live only in memory; :attr:`message` then says so.
    Values never appear in ``repr``/``str`` or in log records.
    """

    def __init__(
        self, backend: KeyringBackend | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._env = os.environ if env is None else env
        self._persistent = not isinstance(self._backend, keyring_fail.Keyring)
        if not self._persistent:
            log.warning("no usable keyring backend; API keys are kept in memory only")

    @property
    def persistent(self) -> bool:
        """True if keys survive a restart (a real keyring is in use)."""
        return self._persistent

    @property
    def message(self) -> str:
        """What the UI shows about where keys are kept ("" when all is well)."""
        return "" if self._persistent else NO_KEYRING_MESSAGE

    def _fall_back(self, error: Exception) -> None:
        log.warning("keyring failed (%s); API keys are kept in memory only", type(error).__name__)
        self._persistent = False

    def set_api_key(self, name: ApiKeyName, value: str) -> None:
        """Store (or, with an empty value, delete) the key ``name``."""
        value = value.strip()
        if not value:
            self.delete_api_key(name)
            return
        if self._persistent:
            try:
                self._backend.set_password(KEYRING_SERVICE, name, value)
                log.info("API key %r stored in the keyring", name)
                return
            except Exception as error:  # any backend failure means "no keyring"
                self._fall_back(error)
        _PROCESS_SECRETS[name] = value
        log.info("API key %r kept in memory", name)

    def delete_api_key(self, name: ApiKeyName) -> None:
        """Forget the stored key ``name`` (environment variables are not touched)."""
        _PROCESS_SECRETS.pop(name, None)
        if self._persistent:
            try:
                self._backend.delete_password(KEYRING_SERVICE, name)
            except keyring.errors.PasswordDeleteError:
                pass
            except Exception as error:
                self._fall_back(error)

    def stored_api_key(self, name: ApiKeyName) -> str | None:
        """The key from the keyring (or memory), ignoring environment variables."""
        if name in _PROCESS_SECRETS:
            return _PROCESS_SECRETS[name]
        if self._persistent:
            try:
                return self._backend.get_password(KEYRING_SERVICE, name)
            except Exception as error:
                self._fall_back(error)
        return None

    def get_api_key(self, name: ApiKeyName) -> str | None:
        """The key to use: the store first, then the SDK's environment variable."""
        return self.stored_api_key(name) or self._env.get(API_KEY_ENV[name]) or None

    def key_source(self, name: ApiKeyName) -> Literal["keyring", "memory", "env", ""]:
        """Where :meth:`get_api_key` would take the key from (``""``: nowhere)."""
        if name in _PROCESS_SECRETS:
            return "memory"
        if self.stored_api_key(name):
            return "keyring"
        return "env" if self._env.get(API_KEY_ENV[name]) else ""

    def __repr__(self) -> str:
        kind = "keyring" if self._persistent else "memory"
        return f"SecretStore({kind}, keys={sorted(_PROCESS_SECRETS)!r} in memory)"
