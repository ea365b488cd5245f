"""Can Qt open a window here? Checked before anything loads Qt's GUI libraries.

When a system library that Qt's platform plugin needs is missing (on Linux, typically
``libxcb-cursor0`` or ``libegl1`` on a minimal system), Qt prints a few lines and *aborts* the
process ("no Qt platform plugin could be initialized"), and importing ``PySide6.QtWidgets``
without ``libEGL`` raises an ``ImportError`` traceback. Neither tells a user what to install.
:func:`startup_problem` finds out first, by loading the platform plugin Qt would pick with
``ctypes`` (the dynamic loader names the first missing library), then checking each library
that plugin is known to need, and returns a message naming the Debian packages to install.

No Qt module is imported here: this runs before ``QApplication`` exists.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEBIAN_PACKAGES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXext.so.6": "libxext6",
    "libXrandr.so.2": "libxrandr2",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libzstd.so.1": "libzstd1",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
}
"""Sonames Qt's GUI needs from a Linux system → the Debian/Ubuntu package that ships each.
(Debian 13 and Ubuntu 24.04 renamed a few for 64-bit time: ``libglib2.0-0t64``; apt finds the
new name from the old one.)"""

_COMMON = (
    "libEGL.so.1",
    "libGL.so.1",
    "libxkbcommon.so.0",
    "libfontconfig.so.1",
    "libfreetype.so.6",
    "libglib-2.0.so.0",
    "libdbus-1.so.3",
)
PLATFORM_LIBRARIES: dict[str, tuple[str, ...]] = {
    "xcb": _COMMON
    + (
        "libX11.so.6",
        "libX11-xcb.so.1",
        "libxcb.so.1",
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
        "libxcb-image.so.0",
        "libxcb-render-util.so.0",
        "libxcb-util.so.1",
        "libxcb-randr.so.0",
        "libxcb-render.so.0",
        "libxcb-shape.so.0",
        "libxcb-shm.so.0",
        "libxcb-sync.so.1",
        "libxcb-xfixes.so.0",
        "libxcb-xkb.so.1",
        "libxkbcommon-x11.so.0",
    ),
    "wayland": _COMMON + ("libwayland-client.so.0", "libwayland-cursor.so.0"),
    "offscreen": _COMMON + ("libX11.so.6",),
    "minimal": _COMMON,
}
"""The system libraries each Qt platform plugin needs, directly or through Qt's own libraries
(read from the ``NEEDED`` entries of PySide6 6.11's plugins and ``libQt6*`` with ``readelf``)."""

_MISSING_RE = re.compile(r"(lib[\w+.-]*\.so[\w.]*)\s*:")

Loader = Callable[[str], object]


@dataclass(frozen=True)
class PlatformProblem:
    """Why Qt's platform plugin ``platform`` cannot start.

    Attributes:
        platform: the plugin's name (``xcb``, ``wayland``, ``offscreen``, ``minimal``).
        missing: sonames of the system libraries that could not be loaded.
        reason: a sentence when the problem is not a missing library (no display).
    """

    platform: str
    missing: tuple[str, ...] = ()
    reason: str = ""


def candidate_platforms(environ: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order, as Qt 6 chooses them.

    ``QT_QPA_PLATFORM`` (a ``;``-separated list; ``name:options``) wins; otherwise a Wayland
    session (``XDG_SESSION_TYPE=wayland``, or a ``WAYLAND_DISPLAY`` to connect to) tries
    ``wayland`` first, then ``xcb``. When in doubt the list is the longer one: the check only
    stops the start when *every* candidate fails.
    """
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        names = [part.split(":", 1)[0].strip() for part in requested.split(";")]
        return [name for name in names if name]
    if environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" or environ.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_path(platform: str) -> Path | None:
    """The file of Qt's platform plugin ``platform`` in the installed (or bundled) PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"


_NOT_LOADABLE = ("cannot open shared object file", "file too short", "invalid ELF header")


def missing_soname(error: BaseException) -> str | None:
    """The soname a dynamic-loader error says it could not open
    (``"libxcb-cursor.so.0: cannot open shared object file: …"``); ``None`` for other errors
    (an undefined symbol, a version mismatch), which no package name would fix."""
    text = str(error)
    if not any(reason in text for reason in _NOT_LOADABLE):
        return None
    match = _MISSING_RE.search(text)
    return match.group(1) if match else None


def _load(path: str) -> object:
    return ctypes.CDLL(path)


def check_platform(
    platform: str,
    environ: Mapping[str, str],
    *,
    plugin: Path | None = None,
    load: Loader = _load,
) -> PlatformProblem | None:
    """``None`` when Qt can start ``platform`` here (or this cannot tell), else what stops it.

    Only positive evidence counts: no display to connect to, or a plugin that the dynamic loader
    refuses. A plugin file that is not where PySide6's wheel keeps it (a distribution's own
    PySide6 build, an unknown platform) is left for Qt to find.

    Args:
        platform: a Qt platform plugin name.
        environ: the environment (``DISPLAY``, ``WAYLAND_DISPLAY``).
        plugin: the plugin file (default: :func:`plugin_path`).
        load: loads a shared library, raising ``OSError`` as ``ctypes.CDLL`` does.
    """
    if platform == "xcb" and not environ.get("DISPLAY"):
        return PlatformProblem(platform, reason="no X display: DISPLAY is not set")
    if platform == "wayland" and not environ.get("WAYLAND_DISPLAY"):
        return PlatformProblem(platform, reason="no Wayland display: WAYLAND_DISPLAY is not set")
    plugin = plugin if plugin is not None else plugin_path(platform)
    if plugin is None or not plugin.is_file():
        return None
    try:
        load(str(plugin))
    except OSError as error:
        first = missing_soname(error)
        missing: list[str] = [first] if first and first != plugin.name else []
        for soname in PLATFORM_LIBRARIES.get(platform, ()):
            if soname in missing:
                continue
            try:
                load(soname)
            except OSError:
                missing.append(soname)
        if not missing:
            return PlatformProblem(platform, reason=f"its plugin does not load ({error})")
        return PlatformProblem(platform, missing=tuple(missing))
    return None


def describe(problems: Sequence[PlatformProblem]) -> str:
    """A message for the user: what is missing and the ``apt-get`` line that installs it."""
    lines = ["the desktop studio cannot open a window:"]
    packages: list[str] = []
    unknown: list[str] = []
    for problem in problems:
        if problem.missing:
            names = []
            for soname in problem.missing:
                package = DEBIAN_PACKAGES.get(soname)
                names.append(f"{soname} (package {package})" if package else soname)
                if package and package not in packages:
                    packages.append(package)
                elif not package:
                    unknown.append(soname)
            lines.append(f"  Qt's {problem.platform} platform needs: " + ", ".join(names))
        else:
            lines.append(f"  Qt's {problem.platform} platform: {problem.reason}")
    if packages:
        lines.append("install them (Debian, Ubuntu): sudo apt-get install " + " ".join(packages))
    if unknown:
        lines.append(
            "find the package of " + ", ".join(unknown) + " with: apt-file search " + unknown[0]
        )
    if any(problem.reason.startswith("no ") for problem in problems):
        lines.append(
            "start it from a desktop session, or set QT_QPA_PLATFORM=offscreen to run "
            "without a screen"
        )
    lines.append("the command line needs none of this: videostudio --help")
    return "\n".join(lines)


def startup_problem(
    environ: Mapping[str, str] | None = None, *, load: Loader = _load
) -> str | None:
    """``None`` if one of the platforms Qt would try can start, else the message to show.

    Only Linux is checked (elsewhere Qt's platform plugin needs no extra system libraries).
    """
    if not sys.platform.startswith("linux"):
        return None
    environ = os.environ if environ is None else environ
    problems = []
    for platform in candidate_platforms(environ):
        problem = check_platform(platform, environ, load=load)
        if problem is None:
            return None
        problems.append(problem)
    return describe(problems) if problems else None
