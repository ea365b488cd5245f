"""The Settings dialog: loads and saves settings off the GUI thread, shows the encoder probe,
clears the cache, keeps API keys out of the settings file."""

from __future__ import annotations

import threading

import pytest
from keyring.backends import fail

from studio import settings as settings_module
from studio.service import Studio
from studio.settings import NO_KEYRING_MESSAGE, SecretStore, load_settings, settings_path
from ui.operations import wait_for_operations
from ui.settings_dialog import SettingsDialog

CANARY = "sk-canary-settings-dialog-0123456789"


@pytest.fixture
def studio():
    studio = Studio()
    yield studio
    wait_for_operations()
    studio.close()
    settings_module.forget_memory_secrets()


@pytest.fixture
def dialog(qtbot, studio):
    dialog = SettingsDialog(studio, secrets=SecretStore(backend=fail.Keyring()))
    qtbot.addWidget(dialog)
    with qtbot.waitSignals([dialog.ready, dialog.encoders_probed], timeout=10_000):
        pass
    return dialog


def _select(combo, data):
    combo.setCurrentIndex(combo.findData(data))


def test_saves_what_was_edited(qtbot, dialog, tmp_path):
    _select(dialog.voice_combo, "female")
    _select(dialog.language_combo, "es")
    _select(dialog.format_combo, "9:16")
    _select(dialog.encoder_combo, "x264")
    _select(dialog.theme_combo, "dark")
    dialog.output_edit.setText(str(tmp_path / "videos"))
    dialog.quota_spin.setValue(2.0)
    dialog.llm_check.setChecked(True)
    _select(dialog.llm_provider_combo, "openai")
    dialog.budget_spin.setValue(7.5)
    dialog.openai_url_edit.setText("https://gateway.example/v1")
    dialog.key_edits["openai"].setText(CANARY)
    assert dialog.key_edits["openai"].echoMode() == dialog.key_edits["openai"].EchoMode.Password
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    saved = load_settings()
    assert saved.default_voice == "female" and saved.default_language == "es"
    assert saved.default_format.value == "9:16" and saved.encoder == "x264"
    assert saved.theme == "dark" and saved.output_dir == tmp_path / "videos"
    assert saved.cache_quota_gb == 2.0 and dialog.studio.cache.quota_bytes == 2 * 10**9
    assert saved.ai.llm_enabled and saved.ai.llm_provider == "openai"
    assert saved.ai.daily_budget_usd == 7.5
    assert saved.ai.openai_base_url == "https://gateway.example/v1"
    assert CANARY not in settings_path().read_text()
    assert SecretStore(backend=fail.Keyring()).get_api_key("openai") == CANARY


def test_keyring_missing_message_is_shown(dialog):
    assert dialog.keyring_label.text() == NO_KEYRING_MESSAGE
    assert not dialog.keyring_label.isHidden()


def test_encoder_probe_result_is_shown(dialog):
    assert "x264" in dialog.encoder_status.text()
    model = dialog.encoder_combo.model()
    x264_row = dialog.encoder_combo.findData("x264")
    assert model.item(x264_row).isEnabled()


def test_clear_cache_removes_entries(qtbot, dialog, studio):
    main_thread = threading.current_thread()
    seen_threads: list[threading.Thread] = []
    original_clean = studio.cache.clean

    def clean(all: bool = False) -> list[str]:
        seen_threads.append(threading.current_thread())
        return original_clean(all=all)

    studio.cache.clean = clean  # type: ignore[method-assign]
    for i in range(3):
        studio.cache.put(f"{i:02x}" * 16, "speech", b"x" * 1000)
    assert studio.cache.stats().entries == 3
    with qtbot.waitSignal(dialog.cache_cleaned, timeout=10_000) as blocker:
        dialog.clear_cache_button.click()
    assert blocker.args == [3000]
    assert studio.cache.stats().entries == 0
    assert "3.0 KB" in dialog.cache_label.text()
    assert seen_threads and seen_threads[0] is not main_thread


def test_corrupt_settings_file_warns_in_the_dialog(qtbot):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{broken")
    studio = Studio()  # reads the settings once, as the app does at start
    dialog = SettingsDialog(studio, secrets=SecretStore(backend=fail.Keyring()))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=10_000):
        pass
    assert "defaults are used" in dialog.message_label.text()
    dialog.close()
    wait_for_operations()
    studio.close()


def test_local_llm_preset_fills_the_fields_and_saves_a_free_keyless_setup(qtbot, dialog):
    """Settings → Paid AI → Preset "Local LLM: Ollama": OpenAI-compatible base URL, no key,
    its model priced at $0; the dialog shows the preset again when reopened."""
    index = dialog.preset_combo.findData("ollama")
    dialog.preset_combo.setCurrentIndex(index)
    dialog.preset_combo.activated.emit(index)
    assert dialog.openai_url_edit.text() == "http://localhost:11434/v1"
    assert dialog.llm_provider_combo.currentData() == "openai"
    assert dialog.llm_model_edit.text() == "llama3.2"
    assert "Ollama" in dialog.preset_label.text()
    dialog.llm_check.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    saved = load_settings().ai
    assert saved.llm_enabled and saved.llm_keyless
    assert saved.prices.llm_price("openai", "llama3.2").input_usd_per_mtok == 0.0
    again = SettingsDialog(dialog.studio, secrets=SecretStore(backend=fail.Keyring()))
    qtbot.addWidget(again)
    with qtbot.waitSignals([again.ready, again.encoders_probed], timeout=10_000):
        pass
    assert again.preset_combo.currentData() == "ollama"


def test_image_fields_are_saved(qtbot, dialog):
    dialog.images_check.setChecked(True)
    dialog.image_url_edit.setText("http://localhost:4000/v1")
    dialog.image_model_edit.setText("gpt-image-1-mini")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    saved = load_settings().ai
    assert saved.image_enabled and saved.image_base_url == "http://localhost:4000/v1"
    assert saved.image_model == "gpt-image-1-mini"


def test_sound_voice_and_length_choices_are_saved(qtbot, dialog):
    _select(dialog.offline_voice_combo, "espeak")
    _select(dialog.caption_style_combo, "plain")
    _select(dialog.loudness_combo, -23.0)
    dialog.music_picker.set_value("bright")
    dialog.music_picker.set_level_db(-20.0)
    dialog.length_spin.setValue(90)
    dialog.skip_check.setChecked(False)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    saved = load_settings()
    assert saved.offline_voice == "espeak" and saved.caption_style == "plain"
    assert saved.loudness_lufs == -23.0
    assert saved.music == "bright" and saved.music_level_db == -20.0
    assert saved.target_duration_s == 90.0 and saved.skip_boilerplate is False


def test_install_voice_pack_refuses_a_bad_file_then_installs_the_pack(
    qtbot, dialog, studio, tmp_path, piper_voice_pack
):
    qtbot.waitUntil(lambda: "Piper voice" in dialog.voice_pack_label.text(), timeout=10_000)
    bad = tmp_path / "videostudio-voice-bad.tar.gz"
    bad.write_bytes(b"not a voice pack")
    with qtbot.waitSignal(dialog.voice_pack_done, timeout=10_000) as blocker:
        dialog.install_voice_pack(str(bad))
    assert blocker.args == [False]
    text = dialog.voice_pack_label.text()
    assert "not installed" in text and "cannot be read" in text
    assert dialog.voice_pack_button.isEnabled()
    assert not (studio.data_dir / "voices" / "en_US-joe-medium").exists()

    with qtbot.waitSignal(dialog.voice_pack_done, timeout=20_000) as blocker:
        dialog.install_voice_pack(str(piper_voice_pack))
    assert blocker.args == [True]
    assert "Installed voice en_US-joe-medium 1.0.0 (63.2 MB)" in dialog.voice_pack_label.text()
    model = studio.data_dir / "voices" / "en_US-joe-medium" / "en_US-joe-medium.onnx"
    assert model.stat().st_size == 63_201_294
