"""Template figures: how long the rules take (the editor runs them after every edit), how long
the library takes to list, and how long gallery thumbnails take to draw (first time) and to
read back from the cache.

    nice -n 10 .venv/bin/python benchmarks/templates_bench.py

Runs offline on temporary data and cache folders; prints one line per figure.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="videostudio-templates-bench-"))
    os.environ["VIDEOSTUDIO_DATA_DIR"] = str(root / "data")
    os.environ["VIDEOSTUDIO_CACHE_DIR"] = str(root / "cache")
    os.environ["VIDEOSTUDIO_OFFLINE"] = "1"

    from pipeline.templates import check_template, template_data
    from pipeline.templates.library import load_library
    from pipeline.templates.samples import cached_template_thumbnail_png
    from studio.service import Studio

    templates = list(load_library().values())
    datas = [template_data(t) for t in templates]
    for data in datas:  # warm up pydantic
        check_template(data)
    runs = []
    for _ in range(5):
        for data in datas:
            start = time.perf_counter()
            check_template(data)
            runs.append(time.perf_counter() - start)
    print(
        f"check_template (all rules) on the {len(datas)} bundled templates: median "
        f"{statistics.median(runs) * 1e3:.2f} ms, max {max(runs) * 1e3:.2f} ms"
    )
    with Studio() as studio:
        start = time.perf_counter()
        entries = studio.templates.entries()
        cold = time.perf_counter() - start
        start = time.perf_counter()
        studio.templates.entries()
        warm = time.perf_counter() - start
        print(
            f"listing {len(entries)} templates (with length estimates): first {cold:.2f} s, "
            f"again {warm * 1e3:.1f} ms"
        )
        staging = root / "staging"
        first, again = [], []
        for entry in entries:
            start = time.perf_counter()
            cached_template_thumbnail_png(entry.template, studio.cache, staging)
            first.append(time.perf_counter() - start)
            start = time.perf_counter()
            cached_template_thumbnail_png(entry.template, studio.cache, staging)
            again.append(time.perf_counter() - start)
        print(
            f"gallery thumbnails, drawn: {sum(first):.2f} s for "
            f"{len(first)} (median {statistics.median(first) * 1e3:.0f} ms); read back from "
            f"the cache: {sum(again) * 1e3:.0f} ms in all"
        )


if __name__ == "__main__":
    main()
