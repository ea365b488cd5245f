"""Storyboard figures per document: scenes, list scenes and items, estimated length.

For each corpus document (and the extra real documents in tests/data), prints the number of
scenes, of list scenes and list items, and the estimated video length (narration spoken by
eSpeak NG, estimated with the model of pipeline.condense, plus 1 s padding per scene), and
with ``--target S`` the same after condensing to S seconds. Runs on any checkout (the
estimate falls back to the same coefficients when pipeline.condense is missing), so the
figures before and after a change can be compared:

    nice .venv/bin/python benchmarks/storyboard_report.py [--target 90]
    PYTHONPATH=../main nice .venv/bin/python benchmarks/storyboard_report.py   # another tree
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
DOCUMENTS = [
    *sorted(
        p
        for p in CORPUS.iterdir()
        if p.suffix in (".md", ".pdf", ".yaml") and p.name != "README.md"
    ),
    ROOT / "tests" / "data" / "pdf" / "internet_guide_vol1.pdf",
    ROOT / "tests" / "data" / "pdf" / "napari_readme_no_outline.pdf",
    ROOT / "tests" / "data" / "rst" / "pytest-qt-README.rst",
]


def _seconds(text: str) -> float:
    tokens = text.split()
    numbers = [t for t in tokens if re.search(r"\d", t)]
    digits = sum(len(re.findall(r"\d", t)) for t in numbers)
    return (
        (len(tokens) - len(numbers)) * 0.328
        + len(numbers) * 0.479
        + digits * 0.238
        + len(re.findall(r"[.!?](?:\s|$)", text)) * 0.235
        + len(re.findall(r"[,;:](?:\s|$)", text)) * 0.687
    )


def figures(spec: object) -> tuple[int, int, int, float]:
    from pipeline.narration import script_stage

    scenes = spec.scenes  # type: ignore[attr-defined]
    lists = [s for s in scenes if s.scene_type == "list"]
    length_s = sum(_seconds(text) + 1.0 for text in script_stage(spec))  # type: ignore[arg-type]
    return len(scenes), len(lists), sum(len(s.items) for s in lists), length_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=None, help="condense to S seconds")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from pipeline.adapters import load_document

    print(f"{'document':58} {'scenes':>6} {'lists':>5} {'items':>5} {'est. s':>7}", end="")
    print(f"  | {'cond. scenes':>12} {'est. s':>7}" if args.target else "")
    for path in DOCUMENTS:
        name = path.name
        try:
            spec = load_document(path)
        except Exception as error:
            print(f"{name:58} {type(error).__name__}: {str(error).splitlines()[0][:60]}")
            continue
        scenes, lists, items, length_s = figures(spec)
        line = f"{name:58} {scenes:>6} {lists:>5} {items:>5} {length_s:>7.0f}"
        if args.target:
            from pipeline.condense import condense_spec

            condensed = condense_spec(spec, args.target).spec
            c_scenes, _l, _i, c_length = figures(condensed)
            line += f"  | {c_scenes:>12} {c_length:>7.0f}"
        print(line)


if __name__ == "__main__":
    main()
