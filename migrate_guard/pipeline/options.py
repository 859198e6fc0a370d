"""What the command line asked `check` for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Options:
    paths: list[str] = field(default_factory=list)
    dialect: str | None = None  # --dialect, beats config
    changed_since: str | None = None  # git revision: lint only migrations changed since the merge base with it
    use_cache: bool = True
    jobs: int | None = None  # extraction processes; None: decide from the amount of work
