"""Help → About and the voice picker say where every voice comes from and what limits its use
(issue 10: the Piper voice's base voice, lessac, restricts commercial use)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from pipeline.speech.registry import about_providers
from studio.service import Studio
from studio.settings import StudioSettings
from ui.about_dialog import AboutDialog
from ui.main_window import MainWindow
from ui.operations import wait_for_operations
from ui.wizard import NewProjectWizard


def test_about_names_every_provider_its_licence_and_the_lessac_limit(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert "GPL-3.0-or-later" in text and "libx264" in text and "SIL Open Font" in text
    providers = about_providers()
    assert {p.name for p in providers} >= {"edge", "piper", "espeak"}
    for provider in providers:
        assert provider.label in text and provider.licence in text
    assert "lessac" in text and "commercial" in text


def test_help_menu_opens_about(qtbot, studio: Studio, settings: QSettings, monkeypatch):
    window = MainWindow(studio, None, settings)
    qtbot.addWidget(window)
    opened: list[str] = []
    monkeypatch.setattr(AboutDialog, "exec", lambda self: opened.append(self.windowTitle()))
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    about = [a for a in menus["&Help"].actions() if "About" in a.text()]
    assert len(about) == 1
    about[0].trigger()
    assert opened == ["About Video Studio"]


def test_voice_picker_warns_about_the_piper_voice(qtbot):
    studio = Studio()
    try:
        wizard = NewProjectWizard(studio, settings=StudioSettings())
        wizard.voice_page.play_samples = False
        qtbot.addWidget(wizard)
        note = wizard.voice_page.voice_notes.text()
        assert "Piper" in note and "lessac" in note and "commercial" in note
        assert "eSpeak NG" in note
    finally:
        wait_for_operations()
        studio.close()
