"""Application services of Video Studio.

The SQLite store (:mod:`studio.store`), the content-addressed cache (:mod:`studio.cache`),
platform folders (:mod:`studio.paths`), and — from other modules — the job runner, budget
ledger, settings and CLI. This layer may import :mod:`pipeline` and ``PySide6.QtCore`` only;
it never imports widgets.
"""
