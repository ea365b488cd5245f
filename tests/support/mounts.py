"""Run a command with a small or read-only file system mounted, without touching the host.

:func:`run_with_tmpfs` runs a command inside a private mount namespace (``unshare -rm``: a
user namespace maps us to root there, so no privileges are needed where unprivileged user
namespaces are allowed) in which a ``tmpfs`` of the given size (and options, e.g. ``ro``) is
mounted on a folder. The mount disappears with the command. :func:`tmpfs_available` says
whether this machine allows it (tests skip otherwise).
"""

from __future__ import annotations

import functools
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


@functools.cache
def tmpfs_available() -> bool:
    """True when ``unshare -rm`` can mount a tmpfs here."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && echo ok"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and "ok" in probe.stdout


def run_with_tmpfs(
    mounts: Sequence[tuple[Path, str]],
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout_s: float = 240.0,
    prepare: str = "",
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with a tmpfs mounted on each ``(folder, options)`` of ``mounts``
    (options as for ``mount -o``, e.g. ``"size=2m"`` or ``"size=1m,ro"``).

    ``prepare`` is shell run after mounting and before the command (e.g. to fill a disk or to
    create a file and then remount read-only).
    """
    script = []
    for folder, options in mounts:
        folder.mkdir(parents=True, exist_ok=True)
        script.append(f"mount -t tmpfs -o {shlex.quote(options)} tmpfs {shlex.quote(str(folder))}")
    if prepare:
        script.append(prepare)
    script.append("exec " + shlex.join(command))
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", " && ".join(script)],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
