"""Settings file (versioned, atomic, forgiving) and API keys (keyring or memory, never on disk)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from pipeline.adapters.builder import VideoBuilder
from pipeline.models import VideoFormat
from studio import settings as settings_module
from studio.settings import (
    NO_KEYRING_MESSAGE,
    SCHEMA_VERSION,
    AISettings,
    SecretStore,
    SettingsTooNewError,
    StudioSettings,
    estimate_ai_costs,
    load_settings,
    mask_secret,
    save_settings,
    settings_path,
    with_video_price,
)

CANARY = "sk-canary-0123456789abcdefXYZW"


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict (a stand-in for the system keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.passwords:
            raise PasswordDeleteError(username)
        del self.passwords[(service, username)]


class BrokenKeyring(MemoryKeyring):
    """A keyring that fails at use (a locked or absent D-Bus secret service)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError("secret service not available")


@pytest.fixture(autouse=True)
def _clean_memory_secrets():
    settings_module.forget_memory_secrets()
    yield
    settings_module.forget_memory_secrets()


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_defaults_when_no_file():
    settings = load_settings()
    assert settings == StudioSettings()
    assert settings.load_warnings == []
    assert settings.cache_quota_gb == 5
    assert settings.ai.llm_enabled is False and settings.ai.video_clips_enabled is False
    assert settings.ai.daily_budget_usd == 5.0
    assert (settings.ai.alert_fraction, settings.ai.hard_stop_fraction) == (0.8, 1.2)
    video = settings.ai.prices.video_price(settings.ai.video_model)
    assert video.as_of.isoformat() and video.source and settings.ai.prices.as_of


def test_round_trip_in_the_data_folder(tmp_path):
    settings = StudioSettings(
        default_voice="female",
        default_language="de",
        default_format=VideoFormat.PORTRAIT,
        captions=True,
        encoder="x264",
        output_dir=tmp_path / "out",
        cache_quota_gb=2.5,
        theme="dark",
        ai=AISettings(llm_enabled=True, llm_provider="openai", daily_budget_usd=3.0),
    )
    save_settings(settings)
    assert settings_path().is_file()
    assert load_settings() == settings
    assert json.loads(settings_path().read_text())["schema_version"] == SCHEMA_VERSION
    assert not [p for p in settings_path().parent.iterdir() if p.name.startswith(".vs-tmp-")]


def test_older_schema_is_migrated(tmp_path):
    path = tmp_path / "settings.json"
    old = {"default_voice": "female", "cache_quota_bytes": 2 * 10**9, "daily_budget_usd": 1.5}
    path.write_text(json.dumps(old))
    settings = load_settings(path)
    assert settings.load_warnings == []
    assert settings.schema_version == SCHEMA_VERSION
    assert settings.default_voice == "female"
    assert settings.cache_quota_gb == 2.0
    assert settings.ai.daily_budget_usd == 1.5


@pytest.mark.parametrize(
    "content", ["{not json", "[1, 2]", json.dumps({"cache_quota_gb": "lots"}), "\x00\x01"]
)
def test_corrupt_file_gives_defaults_and_a_warning(tmp_path, content, caplog):
    path = tmp_path / "settings.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        settings = load_settings(path)
    assert settings.model_dump() == StudioSettings().model_dump()
    assert len(settings.load_warnings) == 1 and "defaults are used" in settings.load_warnings[0]
    assert (tmp_path / "settings.json.bad").read_text() == content
    assert any("damaged" in record.getMessage() for record in caplog.records)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(SettingsTooNewError, match="newer Video Studio") as info:
        load_settings(path)
    assert info.value.hint


def test_unknown_encoder_is_rejected():
    with pytest.raises(ValueError, match="encoder must be one of"):
        StudioSettings(encoder="h265-magic")


def test_sdk_environment_variables_are_honoured(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "https://gateway.example/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://claude.example")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-from-env")
    ai = AISettings()
    assert ai.base_url("openai") == "https://gateway.example/v1"
    assert ai.base_url("anthropic") == "https://claude.example"
    assert AISettings(openai_base_url="https://mine/v1").base_url("openai") == "https://mine/v1"
    store = SecretStore(backend=MemoryKeyring())
    assert store.get_api_key("openai") == "sk-from-env"
    assert store.get_api_key("anthropic") == "ak-from-env"
    assert store.key_source("openai") == "env"
    assert store.get_api_key("video") is None  # an OpenAI key never goes to a video gateway
    store.set_api_key("openai", "sk-stored")
    assert store.get_api_key("openai") == "sk-stored"  # the store wins over the environment


def test_secret_store_uses_the_keyring(memory_keyring):
    store = SecretStore()
    assert store.persistent and store.message == ""
    store.set_api_key("anthropic", CANARY)
    assert memory_keyring.passwords[("videostudio", "anthropic")] == CANARY
    assert SecretStore().get_api_key("anthropic") == CANARY
    assert store.key_source("anthropic") == "keyring"
    store.delete_api_key("anthropic")
    assert store.get_api_key("anthropic") is None
    store.delete_api_key("anthropic")  # deleting twice is fine


def test_fail_backend_keeps_keys_in_memory_and_says_so():
    store = SecretStore(backend=fail.Keyring())
    assert not store.persistent
    assert store.message == NO_KEYRING_MESSAGE
    store.set_api_key("openai", CANARY)
    # Another store in the same process still sees it (process lifetime).
    assert SecretStore(backend=fail.Keyring()).get_api_key("openai") == CANARY
    assert store.key_source("openai") == "memory"


def test_a_keyring_that_fails_at_use_falls_back_to_memory():
    store = SecretStore(backend=BrokenKeyring())
    assert store.persistent
    store.set_api_key("openai", CANARY)
    assert not store.persistent and store.message == NO_KEYRING_MESSAGE
    assert store.get_api_key("openai") == CANARY


def test_canary_key_never_reaches_the_settings_file_or_logs(memory_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    for backend in (memory_keyring, fail.Keyring(), BrokenKeyring()):
        store = SecretStore(backend=backend)
        store.set_api_key("openai", CANARY)
        assert store.get_api_key("openai") == CANARY
        assert CANARY not in repr(store) and CANARY not in str(store)
    save_settings(load_settings())
    text = "\n".join(p.read_text() for p in Path(settings_path().parent).iterdir())
    assert CANARY not in text
    assert caplog.records, "the store logs what it does (without the key)"
    assert all(CANARY not in record.getMessage() for record in caplog.records)
    assert CANARY not in caplog.text


def test_mask_secret():
    assert mask_secret(CANARY) == "…XYZW"
    assert mask_secret("short") == "****"
    assert mask_secret(None) == "" and mask_secret("") == ""


def test_cost_estimates_use_the_price_settings():
    spec = VideoBuilder(title="T").add_title("T").add_outro("Bye").build().model_copy(update={})
    ai = AISettings()
    assert estimate_ai_costs(spec, ai, llm=False, clips=False) == []
    (llm,) = estimate_ai_costs(spec, ai, llm=True, clips=True)  # no clip scenes: no clip cost
    assert llm.kind == "llm" and llm.provider == "anthropic"
    expected = (2 * 600 * 1.0 + 2 * 250 * 5.0) / 1e6
    assert llm.usd == pytest.approx(expected)
    clip_spec = spec.model_validate(
        {
            **spec.model_dump(),
            "scenes": [
                {"scene_type": "clip", "prompt": "a coin", "headline": "Save"},
                {"scene_type": "clip", "prompt": "a jar", "headline": "More"},
            ],
        }
    )
    video = estimate_ai_costs(clip_spec, ai, llm=False, clips=True)[0]
    per_s = ai.prices.video_price(ai.video_model).usd_per_s
    assert video.units == 16 and video.usd == pytest.approx(16 * per_s)
    dearer = with_video_price(ai, per_s * 2)
    assert estimate_ai_costs(clip_spec, dearer, llm=False, clips=True)[0].usd == pytest.approx(
        32 * per_s
    )


def test_flat_price_list_of_version_2_is_migrated(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 2,
                "ai": {"video_model": "sora-2", "prices": {"video_usd_per_second": 0.42}},
            }
        ),
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.schema_version == 3
    assert settings.ai.prices.video_price("sora-2").usd_per_s == pytest.approx(0.42)
    assert settings.ai.prices.llm  # the rest of the dated table is there
