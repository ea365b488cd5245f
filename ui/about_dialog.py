"""Help → About Video Studio and licences: the version, the project's licence, the
components it ships with theirs, and — from the speech registry — where every voice comes
from and what limits its use (the Piper voice's commercial-use restriction)."""

from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from pipeline.speech.base import ProviderAbout
from pipeline.speech.registry import about_providers

COMPONENTS: tuple[tuple[str, str], ...] = (
    ("Video Studio", "GPL-3.0-or-later"),
    ("FFmpeg with libx264 and libx265 (through PyAV)", "GPL-2.0-or-later; PyAV BSD-3-Clause"),
    ("Qt 6 (PySide6)", "LGPL-3.0"),
    ("eSpeak NG (espeakng-loader)", "GPL-3.0-or-later"),
    ("DejaVu fonts", "Bitstream Vera licence, public-domain changes"),
    ("Noto Sans CJK, Devanagari, Bengali, Thai fonts", "SIL Open Font License 1.1"),
    ("Font Awesome 6 icons (qtawesome)", "SIL OFL 1.1 (icons), MIT (qtawesome)"),
)
"""What the app is built from and each part's licence (the bundle's ``NOTICE.txt`` and
``LICENSES/`` carry the full texts)."""


def app_version() -> str:
    """The installed version of Video Studio (``"0.1.0"``), or ``"development"`` when run
    from a source tree that was not installed."""
    try:
        return metadata.version("videostudio")
    except metadata.PackageNotFoundError:
        return "development"


def voice_notes(provider: ProviderAbout) -> str:
    """One provider's licence and notes as HTML (used here and by the voice picker)."""
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in provider.notes)
    where = "online" if provider.online else "offline"
    return (
        f"<h3>{html.escape(provider.label)}</h3>"
        f"<p><b>Where:</b> {where}. <b>Engine:</b> {html.escape(provider.engine)}<br>"
        f"<b>Voices:</b> {html.escape(provider.voices)}<br>"
        f"<b>Licence:</b> {html.escape(provider.licence)}</p>"
        + (f"<ul>{notes}</ul>" if notes else "")
    )


def about_html() -> str:
    """The whole About page as HTML: version, licence, components, voices."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(licence)}</td></tr>"
        for name, licence in COMPONENTS
    )
    voices = "".join(voice_notes(p) for p in about_providers())
    return (
        f"<h2>Video Studio {html.escape(app_version())}</h2>"
        "<p>Turns a document into a finished, narrated, captioned video. Free software under "
        "the GNU General Public License, version 3 or later (libx264 and eSpeak NG are GPL).</p>"
        f"<h3>Components</h3><table cellpadding='3'>{rows}</table>"
        f"<h2>Voices</h2>{voices}"
    )


class AboutDialog(QDialog):
    """Modal About/licences window (read-only text, a Close button)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Video Studio")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(720, 640)
