"""PyInstaller hook for ``studio.store.migrate``: the Alembic migration scripts.

Alembic reads ``studio/migrations`` as files, not as imported modules: it lists
``versions/*.py`` to build the revision graph, executes ``env.py`` and each revision with
``importlib`` from their source, and renders new revisions from ``script.py.mako``. So the folder
is collected as *data* with its ``.py`` sources (``MIGRATIONS_DIR`` is
``<bundle>/_internal/studio/migrations`` when frozen), and the modules those scripts import
(``alembic.op``, ``sqlalchemy``, ``studio.store.tables``, …) are read from the scripts with
``ast`` and declared as hidden imports, because analysis never sees the scripts.
"""

from __future__ import annotations

import ast
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, get_package_paths


def script_imports(folder: Path) -> list[str]:
    """Names of the modules imported by the ``.py`` files under ``folder`` (sorted, unique).

    ``from a.b import c`` yields ``a.b`` and ``a.b.c`` (``c`` may be a submodule; analysis
    ignores a name that is not a module). Relative imports are skipped: migration scripts use
    absolute ones.
    """
    names: set[str] = set()
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    names.discard("__future__")
    return sorted(name for name in names if not name.startswith("__future__."))


_, _studio_dir = get_package_paths("studio")
MIGRATIONS = Path(_studio_dir) / "migrations"

datas = collect_data_files(
    "studio",
    include_py_files=True,
    includes=["migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"],
)
hiddenimports = script_imports(MIGRATIONS)
