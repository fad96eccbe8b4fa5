"""The markup subset of every reply's text (see ``events.py``), parsed once for all
renderers: ``**bold**`` and ``_italic_`` (at word boundaries, nestable), within a line.

Adapters turn the runs into their own format (Telegram HTML, Discord markdown, plain
terminal text), so a reply reads the same on every platform."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)")


@dataclass(frozen=True, slots=True)
class Run:
    """Plain text with its style."""

    text: str
    bold: bool = False
    italic: bool = False


def runs(line: str) -> list[Run]:
    """One line of markup as styled runs, adjacent runs of one style merged."""
    return merge(_parse(line))


def _parse(text: str, bold: bool = False, italic: bool = False) -> list[Run]:
    found: list[Run] = []
    pos = 0
    while pos < len(text):
        found_bold = None if bold else _BOLD.search(text, pos)
        found_italic = None if italic else _ITALIC.search(text, pos)
        candidates = [m for m in (found_bold, found_italic) if m is not None]
        if not candidates:
            found.append(Run(text[pos:], bold, italic))
            break
        match = min(candidates, key=lambda m: m.start())
        if match.start() > pos:
            found.append(Run(text[pos : match.start()], bold, italic))
        if match is found_bold:
            found.extend(_parse(match.group(1), True, italic))
        else:
            found.extend(_parse(match.group(1), bold, True))
        pos = match.end()
    return [run for run in found if run.text]


def merge(parts: Iterable[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in parts:
        if merged and (merged[-1].bold, merged[-1].italic) == (run.bold, run.italic):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return merged


def lines(text: str) -> list[list[Run]]:
    """The whole text, line by line (markup never spans a line break)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [runs(line) for line in text.split("\n")]


def plain(text: str) -> str:
    """What a reader sees: the text without its markup."""
    return "\n".join("".join(run.text for run in line) for line in lines(text))
