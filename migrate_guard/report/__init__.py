"""Reporters: a Report in, text out. Each format is a module with `render(report: Report, **options) -> str`, and may
have `pieces(report, **options)`: the same text as an iterator of strings."""

from __future__ import annotations

import importlib

FORMATS = {
    "text": "text",
    "json": "json_report",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "gitlab": "gitlab",
}


def renderer(fmt: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"migrate_guard.report.{FORMATS[fmt]}").render


def pieces(fmt: str):  # type: ignore[no-untyped-def]
    """The format's report as an iterator of strings that concatenate to render()'s, for writing as they come: a
    large report is never held whole. The module's own `pieces` where it has one, else render's text in one piece."""
    module = importlib.import_module(f"migrate_guard.report.{FORMATS[fmt]}")
    streamed = getattr(module, "pieces", None)
    if streamed is not None:
        return streamed
    return lambda report, **options: iter((module.render(report, **options),))
