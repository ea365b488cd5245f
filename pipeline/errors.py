"""One exception tree for the whole studio.

Every error a user can see derives from :class:`StudioError` and carries a ``hint`` that says
what the user can do about it. Following PyAV's ``av.error`` (``InvalidDataError`` is both an
``FFmpegError`` and a ``ValueError``), errors caused by bad input also derive from the built-in
``ValueError`` so callers may catch either.
"""

from __future__ import annotations


class StudioError(Exception):
    """Root of all Video Studio errors.

    Args:
        message: what happened, in the user's terms.
        hint: what the user can do about it (shown after the message).
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class InputError(StudioError, ValueError):
    """The input (document, scene file, option) is unusable. CLI exit code 2.

    Args:
        message: what is wrong.
        hint: how to fix it.
        source: the file or option at fault, if any.
        location: where in it (``"line 12"``, ``"scenes[3].items"``), if known.
    """

    exit_code = 2

    def __init__(
        self, message: str, *, hint: str = "", source: str = "", location: str = ""
    ) -> None:
        where = ", ".join(part for part in (source, location) if part)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.source = source
        self.location = location


class SpeechError(StudioError):
    """A speech provider could not synthesise narration."""


class EncoderUnavailableError(StudioError):
    """The requested video encoder cannot be opened on this machine."""


class EncodeError(StudioError):
    """Encoding or muxing failed (disk full, codec error)."""


class OutputValidationError(StudioError):
    """The finished file failed a validation check (streams, durations, decodability)."""


class Cancelled(StudioError):
    """The user cancelled the job; no partial output was left behind."""
