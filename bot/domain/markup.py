"""The markup subset of every reply's text (see ``events.py``), parsed once for all
renderers: ``**bold**`` and ``_italic_`` (at word boundaries, nestable), within a line, and
the commands the text names.

A command is written in content as ``/name``: a slash at the start of a word followed by a
lowercase name (``/start``, ``/exercise clamshell``: the argument is plain text after it).
A slash inside a word or after ``:`` or another slash (``7/10``, ``Europe/London``,
``https://...``), a path (``/usr/bin``), ``/Start`` or ``/start@bot`` is not a command.
Each door shows a command the way its people call it (``shown``, with its
``Capabilities.command_prefix``): ``/start`` on Telegram and in the terminal, ``/knee start``
on Discord.

Adapters turn the runs into their own format (Telegram HTML, Discord markdown, plain
terminal text), so a reply reads the same on every platform."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)")
# A slash at a word start (the start of a run, or after a space or an opening bracket or
# quote), a lowercase name of at most 32 characters (Telegram's and Discord's limit), and
# then no more of a word, a path, an address or a file name.
_COMMAND = re.compile(
    r"(?:^|(?<=[\s(\[{\"'\u2018\u201c\u00ab]))/([a-z][a-z0-9_]{0,31})(?![\w/@]|[.\-]\w)"
)
COMMAND_PREFIX = "/"  # how commands are written in content


@dataclass(frozen=True, slots=True)
class Run:
    """Plain text with its style."""

    text: str
    bold: bool = False
    italic: bool = False
    # The name of the command this run names (its text is "/" + name), else None.
    command: str | None = None


def runs(line: str) -> list[Run]:
    """One line of markup as styled runs, adjacent runs of one style merged; each command
    the line names is a run of its own."""
    return merge(_commands(merge(_parse(line))))


def _commands(parts: Iterable[Run]) -> list[Run]:
    found: list[Run] = []
    for run in parts:
        pos = 0
        for match in _COMMAND.finditer(run.text):
            if match.start() > pos:
                found.append(Run(run.text[pos : match.start()], run.bold, run.italic))
            found.append(Run(match.group(0), run.bold, run.italic, match.group(1)))
            pos = match.end()
        if pos < len(run.text):
            found.append(Run(run.text[pos:], run.bold, run.italic))
    return found


def shown(parts: Iterable[Run], command_prefix: str) -> list[Run]:
    """The runs as a door shows them: each command as its people call it
    (``command_prefix`` + name: "/start", "/knee start"), then merged."""
    return merge(
        Run(command_prefix + run.command, run.bold, run.italic) if run.command else run
        for run in parts
    )


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
    """Adjacent runs of one style as one (a command stays a run of its own)."""
    merged: list[Run] = []
    for run in parts:
        if (
            merged
            and merged[-1].command is None
            and run.command is None
            and (merged[-1].bold, merged[-1].italic) == (run.bold, run.italic)
        ):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return merged


def lines(text: str) -> list[list[Run]]:
    """The whole text, line by line (markup never spans a line break)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [runs(line) for line in text.split("\n")]


def plain(text: str, command_prefix: str = COMMAND_PREFIX) -> str:
    """What a reader sees: the text without its markup, commands called with
    ``command_prefix``."""
    return "\n".join(
        "".join(run.text for run in shown(line, command_prefix)) for line in lines(text)
    )
