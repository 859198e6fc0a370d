"""Reporters: a Report in, text out. Each format is a module with `render(report: Report, **options) -> str`."""

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
