"""Text as the coach reads it: cleaned of control characters, and folded for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def clean(text: str) -> str:
    """Text as the engine sees it: control and bidi characters removed, space folded."""
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: for matching only."""
    # Labels and match words are folded again and again: short strings are cached (which
    # keeps the cache small even though people's messages pass through here too).
    return _fold_short(text) if len(text) <= 64 else _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("’", "'")
    return " ".join(_WORD.findall(plain))


_fold_short = lru_cache(maxsize=4096)(_fold)
