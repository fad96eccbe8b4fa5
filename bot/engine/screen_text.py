"""The screener's reading of text: tokens (any script), the marks it keeps (sentence end,
question, label, comma), spelling helpers for typos, and the phrase syntax's expansion.
Pure functions and constants; ``bot/engine/screener.py`` builds on them."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = [
    "COMMA",
    "ENDS",
    "GAP",
    "LABEL",
    "MARKS",
    "MAX_EXPANSIONS",
    "NUM",
    "NUM_RANGE",
    "QUESTION",
    "SAME",
    "SENTENCE_END",
    "WIDE_GAP",
    "TriageDataError",
    "collapse",
    "expand",
    "mapping_of",
    "normalise",
    "number_value",
    "one_missing",
    "str_list",
    "swapped",
    "text_tokens",
    "within_one_edit",
]

NUM = "\x00num"  # trie token standing for any number
NUM_RANGE = "\x00num:"  # trie token prefix: a number in a range, "\x00num:13-17"
GAP = "\x00gap"  # trie token: skip up to max_gap words
WIDE_GAP = "\x00gap+"  # trie token ("...."): skip up to wide_gap words
SAME = "\x00same"  # trie token: the number the last number token read, again
SENTENCE_END = "."
QUESTION = "?"
ENDS = frozenset({SENTENCE_END, QUESTION})
LABEL = ":"  # "Swelling: none", "Swelling - none"
COMMA = ","
MARKS = frozenset({SENTENCE_END, QUESTION, LABEL, COMMA})
MAX_EXPANSIONS = 5000

APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
TOKEN_RE = re.compile(
    r"\d+(?:[.,]\d+)?|[^\W\d_]+|[.!;\n\r\u2028\u2029\u3002\u061f\u06d4]|[?\uff1f]|,|:"
    r"|(?<!\S)[-\u2013\u2014]+(?!\S)"
)
REPEATS_RE = re.compile(r"(\w)\1+")
GROUP_RE = re.compile(r"\{([^{}]*)\}")
RANGE_RE = re.compile(r"<num:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)>")  # <num:37.6-42>


class TriageDataError(ValueError):
    """``content/triage.yaml`` is missing, malformed or inconsistent."""


# --------------------------------------------------------------------------- text


def text_tokens(text: str) -> list[str]:
    """Case-folded, accent-free, apostrophe-free word tokens (any script) plus the marks
    ``.`` (sentence end), ``?`` (question end), ``:`` (label) and ``,``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFC", stripped).casefold().translate(APOSTROPHES)
    out: list[str] = []
    for token in TOKEN_RE.findall(folded):
        if token[0].isalnum():
            out.append(token)
        elif token == COMMA:
            out.append(token)
        elif token in ("?", "\uff1f"):
            if out and out[-1] in ENDS:
                out[-1] = QUESTION
            elif out:
                out.append(QUESTION)
        elif token == ":" or token[0] in "-\u2013\u2014":
            if out and out[-1] not in MARKS:
                out.append(LABEL)
        elif out and out[-1] not in ENDS:
            out.append(SENTENCE_END)
    return out


def collapse(word: str) -> str:
    return REPEATS_RE.sub(r"\1", word)


def normalise(text: str, max_chars: int) -> list[str]:
    """The raw word tokens of the first ``max_chars`` characters of ``text``."""
    return text_tokens(text[:max_chars])


def within_one_edit(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` differ by at most one insertion, deletion, substitution or
    transposition of neighbours (restricted Damerau-Levenshtein distance <= 1)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    shortest = min(la, lb)
    while i < shortest and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def swapped(a: str, b: str) -> bool:
    """True if ``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2 and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )


def one_missing(typed: str, word: str) -> bool:
    """True if ``typed`` is ``word`` with one letter (not the first) left out."""
    if len(typed) + 1 != len(word) or typed[0] != word[0]:
        return False
    return any(word[:i] + word[i + 1 :] == typed for i in range(1, len(word)))


def expand(pattern: str) -> list[str]:
    """Expand ``{a|b|}`` groups (an empty alternative makes the group optional)."""
    return [" ".join("".join(choice).split()) for choice in itertools.product(*groups(pattern))]


def groups(pattern: str) -> list[list[str]]:
    """A phrase as its pieces: the text between ``{a|b|}`` groups (one option each) and
    each group's alternatives; refuses unbalanced braces and too many variants."""
    parts: list[list[str]] = []
    position = 0
    for group in GROUP_RE.finditer(pattern):
        parts.append([pattern[position : group.start()]])
        parts.append(group.group(1).split("|"))
        position = group.end()
    parts.append([pattern[position:]])
    if "{" in pattern[position:] or "}" in pattern[position:]:
        raise TriageDataError(f"unbalanced braces in phrase {pattern!r}")
    total = 1
    for options in parts:
        total *= len(options)
    if total > MAX_EXPANSIONS:
        raise TriageDataError(f"phrase {pattern!r} expands to {total} variants")
    return parts


def number_value(token: str, words: Mapping[str, int]) -> float | None:
    if token[:1].isdigit():
        try:
            return float(token.replace(",", "."))
        except ValueError:
            return None
    value = words.get(token)
    return None if value is None else float(value)


def str_list(value: object, where: str) -> list[str]:
    """``value`` as a list of strings (None: empty); anything else names ``where``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise TriageDataError(f"{where} must be a list of strings (quote yes/no/on/off)")
    return [str(v) for v in value]


def mapping_of(value: object, where: str) -> Mapping[str, Any]:
    """``value`` as a mapping; anything else names ``where``."""
    if not isinstance(value, Mapping):
        raise TriageDataError(f"{where} must be a mapping")
    return value
