"""Message catalogs: the fixed narration phrases in every language of the voice table."""

from pipeline.i18n.catalog import (
    CATALOG_DIR,
    catalog_languages,
    missing_phrases,
    phrase_table,
    placeholders,
)

__all__ = ["CATALOG_DIR", "catalog_languages", "missing_phrases", "phrase_table", "placeholders"]
