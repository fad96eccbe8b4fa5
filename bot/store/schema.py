"""The numbered migration files of each backend: ``migrations/`` (SQLite) and
``migrations/postgres/`` hold the same numbers (a test compares them and the schemas they
make). Numbers are handed out to branches worked on in parallel, so a branch may have a
gap until the others merge; each backend records which numbers it applied
(``schema_migrations``) and applies any it has not, whatever its number."""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

DIALECTS = {"sqlite": ("migrations",), "postgres": ("migrations", "postgres")}


def migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """The numbered migration files of ``dialect`` shipped with the package, in order."""
    folder: Traversable = resources.files("bot.store")
    for part in DIALECTS[dialect]:
        folder = folder.joinpath(part)
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers) or not numbers or numbers[0] != 1:
        raise RuntimeError(f"{dialect} migrations must be numbered from 001, each number "
                           f"once: {numbers}")
    return found


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (migrations use no semicolons inside strings)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
