"""Make the PDF fixtures of tests/data/pdf from real documents of ../shared/corpus.

The PDFs are converted, not hand-written: the corpus Markdown is rendered to HTML by
markdown-it-py and typeset by WeasyPrint (justified, hyphenated English text, list markers,
PDF bookmarks from the headings, a running header and "Page N of M" footers), as a word
processor or documentation tool would. The fixtures are committed; this script documents how
they were made and can make them again. WeasyPrint is not a dependency of the project: run
it from a separate environment::

    python3 -m venv /tmp/pdftools
    /tmp/pdftools/bin/pip install weasyprint markdown-it-py
    /tmp/pdftools/bin/python scripts/make_test_pdfs.py

Made with WeasyPrint 70.0 and markdown-it-py 4.3.0.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from weasyprint import CSS, HTML

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
OUT = ROOT / "tests" / "data" / "pdf"

STYLE = """
@page {{
  size: A4; margin: 22mm 20mm;
  @top-center {{ content: "{header}"; font-size: 8pt; color: #555; }}
  @bottom-center {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }}
}}
body {{ font-family: serif; font-size: 11pt; line-height: 1.35; }}
p, li {{ text-align: justify; hyphens: auto; }}
h1 {{ font-size: 22pt; }} h2 {{ font-size: 16pt; }} h3 {{ font-size: 13pt; }}
img {{ display: none; }}
pre {{ font-size: 9pt; }}
"""


def convert(source: str, target: str, header: str, *, outline: bool = True) -> None:
    markdown = (CORPUS / source).read_text(encoding="utf-8")
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    html = f'<html lang="en"><head><meta charset="utf-8"></head><body>{body}</body></html>'
    css = STYLE.format(header=header)
    if not outline:
        css += "h1, h2, h3, h4, h5, h6 { bookmark-level: none; }"
    document = HTML(string=html, base_url=str(CORPUS)).render(stylesheets=[CSS(string=css)])
    document.write_pdf(OUT / target)
    print(f"{target}: {len(document.pages)} pages, {(OUT / target).stat().st_size} bytes")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    convert(
        "video_gen-Internet_Guide_Vol1_Core_Infrastructure.md",
        "internet_guide_vol1.pdf",
        "How the Internet Works · Volume 1",
    )
    convert("napari-README.md", "napari_readme_no_outline.pdf", "napari", outline=False)


if __name__ == "__main__":
    main()
