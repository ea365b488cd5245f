"""Human names of code languages, for badges and narration ("Python", "Shell", not "pycon").

:func:`language_label` maps the language tag of a code block (a Markdown fence's info
string, a Pygments alias) to the name a viewer knows. Tags not in :data:`LABELS` use the
name of the Pygments lexer that handles them (``"rust"`` → ``"Rust"``), and unknown tags
become ``"Code"``.
"""

from __future__ import annotations

from functools import lru_cache

LABELS: dict[str, str] = {
    **dict.fromkeys(
        ("py", "python", "python3", "py3", "pycon", "pytb", "ipython", "sage"), "Python"
    ),
    **dict.fromkeys(
        ("sh", "bash", "shell", "console", "shell-session", "zsh", "fish", "ksh", "shellsession"),
        "Shell",
    ),
    **dict.fromkeys(("powershell", "ps1", "pwsh", "posh"), "PowerShell"),
    **dict.fromkeys(("bat", "batch", "cmd", "dosbatch", "winbatch"), "Batch"),
    **dict.fromkeys(("js", "javascript", "node", "jsx", "mjs"), "JavaScript"),
    **dict.fromkeys(("ts", "typescript", "tsx"), "TypeScript"),
    **dict.fromkeys(("yml", "yaml"), "YAML"),
    **dict.fromkeys(("md", "markdown"), "Markdown"),
    **dict.fromkeys(("rst", "restructuredtext"), "reStructuredText"),
    **dict.fromkeys(("c++", "cpp", "cxx", "hpp"), "C++"),
    **dict.fromkeys(("cs", "csharp", "c#"), "C#"),
    **dict.fromkeys(("text", "txt", "plain", "plaintext", "none", ""), "Code"),
    "c": "C",
    "go": "Go",
    "golang": "Go",
    "rs": "Rust",
    "rust": "Rust",
    "rb": "Ruby",
    "ruby": "Ruby",
    "java": "Java",
    "kotlin": "Kotlin",
    "swift": "Swift",
    "php": "PHP",
    "r": "R",
    "sql": "SQL",
    "html": "HTML",
    "xml": "XML",
    "css": "CSS",
    "json": "JSON",
    "toml": "TOML",
    "ini": "INI",
    "dockerfile": "Dockerfile",
    "docker": "Dockerfile",
    "makefile": "Makefile",
    "make": "Makefile",
    "diff": "Diff",
    "lua": "Lua",
    "perl": "Perl",
    "scala": "Scala",
    "haskell": "Haskell",
    "julia": "Julia",
    "matlab": "MATLAB",
}
"""Tag → name for the common languages (lower-case tags)."""


@lru_cache(maxsize=256)
def language_label(tag: str) -> str:
    """The name of the language tagged ``tag`` (see the module docstring)."""
    key = tag.strip().lower()
    if key in LABELS:
        return LABELS[key]
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        return str(get_lexer_by_name(key).name)
    except (ClassNotFound, ImportError):
        return "Code"


def is_shell(tag: str) -> bool:
    """Whether ``tag`` names a shell (its lines are commands)."""
    return language_label(tag) in ("Shell", "PowerShell", "Batch")
