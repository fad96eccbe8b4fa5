"""Problems found in content, each naming the file, the entry and the field."""

from __future__ import annotations


class ContentError(Exception):
    """Content that does not validate. ``str(err)`` is the first problem; all are in
    ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems) or ["unknown content problem"]
        super().__init__(self.problems[0])
