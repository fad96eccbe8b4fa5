"""The screener's phrase trie: phrases as token paths, ``...`` gaps and number tokens
(``<num>``, ``<num:13-17>``, and ``<same>``: the number the phrase's last number token
read, again), and the walk that finds every phrase starting at a word."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.engine.screen_text import (
    COMMA,
    ENDS,
    GAP,
    LABEL,
    MARKS,
    NUM,
    NUM_RANGE,
    SAME,
    WIDE_GAP,
    number_value,
)

__all__ = ["Gaps", "Numbers", "TrieNode", "insert", "spans", "walk"]


@dataclass(slots=True)
class TrieNode:
    children: dict[str, TrieNode] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)  # what ends here: signal ids, rule ids
    ranges: list[tuple[float, float, TrieNode]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Gaps:
    """How far a ``...`` skips (``near`` words of the sentence) and a ``....`` (``wide``
    words of the clause, which ends at a comma, a label or one of ``breaks``)."""

    near: int
    wide: int = 0
    breaks: frozenset[str] = frozenset()

    def ends_clause(self, token: str) -> bool:
        return token in (COMMA, LABEL) or token in self.breaks


@dataclass(frozen=True, slots=True)
class Numbers:
    """What reads as a number: digits, the number words, and the values of some of them."""

    words: frozenset[str]
    values: Mapping[str, int]

    def value(self, token: str) -> float | None:
        if token[:1].isdigit() or token in self.words:
            return number_value(token, self.values)
        return None

    def __contains__(self, token: str) -> bool:
        return token[:1].isdigit() or token in self.words


def insert(root: TrieNode, tokens: Sequence[str], entry: str) -> None:
    node = root
    for token in tokens:
        child = node.children.get(token)
        if child is None:
            child = node.children[token] = TrieNode()
            if token.startswith(NUM_RANGE):
                low, high = token[len(NUM_RANGE):].split("-")
                node.ranges.append((float(low), float(high), child))
        node = child
    if entry not in node.entries:
        node.entries.append(entry)


def walk(root: TrieNode, canons: Sequence[str], start: int, gaps: Gaps,
         numbers: Numbers) -> list[tuple[str, int]]:
    """All (entry, end) of phrases in ``root`` that start at ``start``; ``...`` and ``....``
    in a phrase skip words as ``gaps`` says."""
    found: list[tuple[str, int]] = []
    # (node, gap budget left, the value of the last number token read on the way)
    Step = tuple[TrieNode, int, float | None]
    frontier: dict[tuple[int, float | None], Step] = {(id(root), None): (root, 0, None)}
    wide: set[int] = set()  # the nodes a "...." is skipping from
    i = start
    while frontier and i < len(canons):
        token = canons[i]
        if token in ENDS:
            break
        if wide and gaps.ends_clause(token):
            frontier = {key: step for key, step in frontier.items()
                        if not (step[1] and id(step[0]) in wide)}
        for node, _budget, seen in list(frontier.values()):
            for token_, budget_ in ((GAP, gaps.near), (WIDE_GAP, gaps.wide)):
                gap = node.children.get(token_)
                if gap is not None and (id(gap), seen) not in frontier:
                    frontier[(id(gap), seen)] = (gap, budget_, seen)
                    if token_ is WIDE_GAP:
                        wide.add(id(gap))
        is_number = token in numbers
        value = numbers.value(token) if is_number else None
        nxt: dict[tuple[int, float | None], Step] = {}
        for node, budget, seen in frontier.values():
            children: list[tuple[TrieNode | None, float | None]] = [
                (node.children.get(token), seen)]
            if is_number:
                children.append((node.children.get(NUM), value))
                if value is not None:
                    children.extend((c, value) for low, high, c in node.ranges
                                    if low <= value <= high)
                    if seen is not None and value == seen:
                        children.append((node.children.get(SAME), value))
            for child, read in children:
                if child is not None:
                    nxt[(id(child), read)] = (child, 0, read)
                    found.extend((entry, i + 1) for entry in child.entries)
            if budget > 0:
                kept = nxt.get((id(node), seen))
                if kept is None or kept[1] < budget - 1:
                    nxt[(id(node), seen)] = (node, budget - 1, seen)
        frontier = nxt
        i += 1
    return found


def spans(root: TrieNode, canons: Sequence[str], gaps: Gaps,
          numbers: Numbers) -> list[tuple[str, int, int]]:
    """Every (entry, start, end) of the phrases of ``root`` in ``canons``."""
    out: list[tuple[str, int, int]] = []
    for start in range(len(canons)):
        if canons[start] in MARKS:
            continue
        for entry, end in walk(root, canons, start, gaps, numbers):
            out.append((entry, start, end))
    return out
