"""Everything about a render that can be checked before any work, the same for ``render``,
``queue add`` and the studio's own renders.

:func:`check_render_request` fails fast with the exit code the CLI promises: an input
problem (an unknown voice, an output path that is a folder) is an
:class:`~pipeline.errors.InputError` (exit code 2) raised when the job is *made*, not when it
runs; an environment problem (a read-only or full disk) a
:class:`~pipeline.preflight.StorageError` (exit code 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import InputError
from pipeline.models import VideoSpec
from pipeline.preflight import check_output_path


def _spec_voices(spec: VideoSpec) -> Iterator[tuple[str, str]]:
    yield "voice", spec.voice
    for index, scene in enumerate(spec.scenes):
        if scene.voice:
            yield f"scenes[{index}].voice", scene.voice


def voice_problem(name: str) -> str | None:
    """Why ``name`` is not a voice the speech chain can use, or ``None`` when it is: the
    speech layer's own check (:func:`pipeline.speech.voices.voice_problem`) — a named voice
    (``male``, ``female``) or a voice id some registered provider owns (an Edge TTS short name
    such as ``en-GB-SoniaNeural``, a Piper voice, an eSpeak NG voice id listed by
    ``videostudio voices``).
    """
    from pipeline.speech import voices

    return voices.voice_problem(name)


def check_render_request(spec: VideoSpec, output: Path) -> tuple[VideoSpec, Path]:
    """Validate a render before it is started or queued; return the spec as the job will
    load it and the ``.mp4`` path it will write.

    Checks: the spec survives the round trip through JSON that a queued job makes (every
    field validated again); every voice is usable (see :func:`voice_problem`); the output
    path is not a folder and its folder is writable (:func:`~pipeline.preflight.check_output_path`).

    Raises:
        InputError: an invalid field or voice, or an output path that is a folder (exit 2).
        StorageError: the output folder cannot be written (exit 1).
    """
    spec = VideoSpec.model_validate(spec.model_dump(mode="json"))
    for location, name in _spec_voices(spec):
        problem = voice_problem(name)
        if problem is not None:
            raise InputError(
                problem,
                source="the spec",
                location=location,
                hint="run `videostudio voices` to list the voices",
            )
    return spec, check_output_path(Path(output))
