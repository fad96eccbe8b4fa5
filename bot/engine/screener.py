"""Free-text red-flag screener: text -> safety signals, with every rule kept as data.

All vocabulary (phrases, negation words, typo guards, rewrites) lives in
``content/triage.yaml``; this module only knows the grammar of that file.

How a text is screened (linear in the length of the text, which is capped):

1. Normalise: the first ``max_chars`` characters only; Unicode NFKD, accents dropped,
   case-folded, apostrophes removed (``can't`` -> ``cant``), anything that is not a
   letter or digit becomes a separator; ``. ! ? ;`` and line breaks end a sentence and
   commas are kept as list separators.
2. Canonicalise every word: repeated letters collapsed (``sweeling`` -> ``sweling``, the
   same form as ``swelling``), real words that look like a symptom word kept as they
   are (``looked``, ``stolen``), and a word of ``fuzzy_min_length`` letters or more that
   is one edit (Damerau) away from a red-flag word, and starts with the same letter, is
   read as that word (``swollon`` -> ``swollen``). Multi-word rewrites follow
   (``knee cap`` -> ``kneecap``, ``cannot`` -> ``cant``).
3. Match the phrases of every signal (a token trie). A match inside one of the
   signal's ``unless`` phrases is dropped (``popped out for a run``), and so is a match
   inside a longer match of an at-least-as-serious signal (``swollen calf`` is a clot
   sign, not knee swelling).
4. Negation: a negator (``no``, ``not``, ``never``, ``without``, ``don't`` ...) followed
   by at most a few filler words negates the next item and every item of a short list
   joined by ``or``/``and``/``nor``/commas; anything else (``but``, a verb, sentence
   punctuation) ends the scope. ``not sure`` / ``don't know`` / ``don't think`` are
   uncertainty, not negation, so the signal stands. ``can't ... without`` is not a
   negation. A trailing ``is gone`` / ``went down`` negates the item before it unless
   the sentence says it comes back.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ALARM_LEVELS",
    "ScreenResult",
    "Screener",
    "SignalSpec",
    "TriageDataError",
    "content_dir",
    "default_screener",
    "load_triage_data",
    "normalise",
    "screen",
]

ALARM_LEVELS: tuple[str, ...] = ("urgent", "see_clinician", "other_likely")
"""Levels that count as an alarm, most serious first (``ScreenResult.level``)."""

VALID_LEVELS: tuple[str, ...] = (*ALARM_LEVELS, "feature", "advice")

TRIAGE_FILE = "triage.yaml"
CONTENT_ENV = "KNEECOACH_CONTENT"

_NUM = "\x00num"  # trie token standing for any number
_SENTENCE_END = "."
_COMMA = ","
_MAX_EXPANSIONS = 5000
_FUZZY_CACHE_LIMIT = 8192

_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.!?;\n\r\u2028\u2029\u3002\u061f\u06d4]|,")
_REPEATS_RE = re.compile(r"([a-z])\1+")
_GROUP_RE = re.compile(r"\{([^{}]*)\}")


class TriageDataError(ValueError):
    """``content/triage.yaml`` is missing, malformed or inconsistent."""


def content_dir() -> Path:
    """The content directory: ``$KNEECOACH_CONTENT`` if set, else the repository's ``content/``."""
    override = os.environ.get(CONTENT_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "content"


def load_triage_data(directory: Path | None = None) -> dict[str, Any]:
    """Read ``triage.yaml`` from ``directory`` (default: :func:`content_dir`)."""
    path = (directory or content_dir()) / TRIAGE_FILE
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise TriageDataError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TriageDataError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TriageDataError(f"{path}: top level must be a mapping")
    return data


# --------------------------------------------------------------------------- text


def _words(text: str) -> list[str]:
    """Lower-case, accent-free, apostrophe-free word tokens plus ``.`` and ``,`` marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.casefold().translate(_APOSTROPHES)
    out: list[str] = []
    for token in _TOKEN_RE.findall(folded):
        if token == _COMMA or token[0].isalnum():
            out.append(token)
        elif not out or out[-1] != _SENTENCE_END:
            out.append(_SENTENCE_END)
    return out


def _collapse(word: str) -> str:
    return _REPEATS_RE.sub(r"\1", word)


def normalise(text: str, max_chars: int) -> list[str]:
    """The raw word tokens of the first ``max_chars`` characters of ``text``."""
    return _words(text[:max_chars])


def _within_one_edit(a: str, b: str) -> bool:
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


def _expand(pattern: str) -> list[str]:
    """Expand ``{a|b|}`` groups (an empty alternative makes the group optional)."""
    parts: list[list[str]] = []
    position = 0
    for group in _GROUP_RE.finditer(pattern):
        parts.append([pattern[position : group.start()]])
        parts.append(group.group(1).split("|"))
        position = group.end()
    parts.append([pattern[position:]])
    if "{" in pattern[position:] or "}" in pattern[position:]:
        raise TriageDataError(f"unbalanced braces in phrase {pattern!r}")
    total = 1
    for options in parts:
        total *= len(options)
    if total > _MAX_EXPANSIONS:
        raise TriageDataError(f"phrase {pattern!r} expands to {total} variants")
    return [" ".join("".join(choice).split()) for choice in itertools.product(*parts)]


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """One signal as declared in ``triage.yaml``."""

    id: str
    level: str
    label: str
    reason: str
    phrases: tuple[str, ...]
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """What the screener found in one text.

    ``signals`` are in precedence order (level, then the order of ``triage.yaml``);
    ``level`` is the most serious alarm level present (``urgent`` > ``see_clinician`` >
    ``other_likely``) or ``None``; ``matches`` pairs each signal with the words (as
    typed, lower-cased) that triggered it, in text order.
    """

    signals: tuple[str, ...] = ()
    level: str | None = None
    matches: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    canon: str


@dataclass(frozen=True, slots=True)
class _Match:
    signal: str
    start: int
    end: int


@dataclass(slots=True)
class _TrieNode:
    children: dict[str, _TrieNode] = field(default_factory=dict)
    signals: list[str] = field(default_factory=list)


def _str_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        raise TriageDataError(f"{where} must be a list of strings (quote yes/no/on/off)")
    return [str(v) for v in value]


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TriageDataError(f"{where} must be a mapping")
    return value


class Screener:
    """Screens free text for the signals declared in ``triage.yaml`` data."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        lang = _mapping(data.get("language", {}), "language")
        self.max_chars: int = int(lang.get("max_chars", 4096))
        self.fuzzy_min_length: int = int(lang.get("fuzzy_min_length", 5))
        if self.max_chars <= 0 or self.fuzzy_min_length < 3:
            raise TriageDataError("language.max_chars / fuzzy_min_length out of range")

        levels = _mapping(data.get("levels", {}), "levels")
        order = _str_list(levels.get("order"), "levels.order")
        if sorted(order) != sorted(VALID_LEVELS):
            raise TriageDataError(f"levels.order must list exactly {VALID_LEVELS}")
        self.level_order: tuple[str, ...] = tuple(order)
        self._level_rank = {name: i for i, name in enumerate(order)}

        self.signals: dict[str, SignalSpec] = {}
        raw_signals = _mapping(data.get("signals"), "signals")
        for signal_id, spec in raw_signals.items():
            spec_map = _mapping(spec, f"signals.{signal_id}")
            level = spec_map.get("level")
            if level not in VALID_LEVELS:
                raise TriageDataError(f"signals.{signal_id}.level {level!r} is not valid")
            reason = spec_map.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise TriageDataError(f"signals.{signal_id}.reason is required")
            phrases = _str_list(spec_map.get("phrases"), f"signals.{signal_id}.phrases")
            if not phrases:
                raise TriageDataError(f"signals.{signal_id}.phrases must not be empty")
            self.signals[str(signal_id)] = SignalSpec(
                id=str(signal_id),
                level=str(level),
                label=str(spec_map.get("label", signal_id)),
                reason=reason.strip(),
                phrases=tuple(phrases),
                unless=tuple(_str_list(spec_map.get("unless"), f"signals.{signal_id}.unless")),
            )
        self._signal_rank = {
            sid: (self._level_rank[spec.level], index)
            for index, (sid, spec) in enumerate(self.signals.items())
        }

        # Vocabulary: every raw word the data mentions is "known" and never fuzzed.
        self._known_raw: set[str] = set()
        self._known: set[str] = set()
        self._numbers = {w for n in _str_list(lang.get("number_words"), "number_words")
                         for w in _words(n)}

        def words_of(lst_key: str) -> frozenset[str]:
            out: set[str] = set()
            for item in _str_list(lang.get(lst_key), f"language.{lst_key}"):
                out.update(self._phrase_tokens_plain(item))
            return frozenset(out)

        def phrases_of(lst_key: str) -> tuple[tuple[str, ...], ...]:
            out: list[tuple[str, ...]] = []
            for item in _str_list(lang.get(lst_key), f"language.{lst_key}"):
                out.extend(self._phrase_variants_plain(item))
            return tuple(out)

        self._ignore_raw: frozenset[str] = frozenset(
            w for item in _str_list(lang.get("fuzzy_ignore"), "fuzzy_ignore") for w in _words(item)
        )

        rewrites_raw = _mapping(lang.get("rewrites", {}), "language.rewrites")
        self._rewrites: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in rewrites_raw.items():
            key = tuple(self._plain_canon(w) for w in self._learn(str(source)))
            value = tuple(self._plain_canon(w) for w in self._learn(str(target)))
            if not key or not value:
                raise TriageDataError(f"empty rewrite {source!r} -> {target!r}")
            self._rewrites[key] = value
        self._rewrite_max = max((len(k) for k in self._rewrites), default=0)

        self._negators = words_of("negators")
        self._negator_cancel = words_of("negator_cancelled_by_next")
        self._without = words_of("without_words")
        self._without_cancel = words_of("without_cancelled_by")
        self._pre_fillers = words_of("pre_fillers")
        self._max_pre_fillers = int(lang.get("max_pre_fillers", 4))
        self._joiners = words_of("list_joiners") | {_COMMA}
        self._list_fillers = words_of("list_fillers")
        self._generic_items = words_of("generic_items")
        self._post_fillers = words_of("post_fillers")
        self._post_negators = phrases_of("post_negators")
        self._recurrence = phrases_of("recurrence")

        # Phrase trie and per-signal "unless" tries.
        self._trie = _TrieNode()
        self._unless: dict[str, _TrieNode] = {}
        for spec in self.signals.values():
            for phrase in spec.phrases:
                for tokens in self._phrase_variants(phrase):
                    self._insert(self._trie, tokens, spec.id)
            if spec.unless:
                node = _TrieNode()
                for phrase in spec.unless:
                    for tokens in self._phrase_variants(phrase):
                        self._insert(node, tokens, spec.id)
                self._unless[spec.id] = node

        fuzzy_targets: set[str] = set()
        for word in _str_list(lang.get("fuzzy_words"), "language.fuzzy_words"):
            for raw in _words(word):
                target = _collapse(raw)
                if raw not in self._known_raw:
                    raise TriageDataError(f"fuzzy word {word!r} is not used in any phrase")
                if len(target) < self.fuzzy_min_length:
                    raise TriageDataError(f"fuzzy word {word!r} is too short")
                fuzzy_targets.add(target)
        self._fuzzy_buckets: dict[tuple[str, int], list[str]] = {}
        for target in sorted(fuzzy_targets):
            self._fuzzy_buckets.setdefault((target[0], len(target)), []).append(target)
        self._canon_cache: dict[str, str] = {}

    # ------------------------------------------------------------------ loading helpers

    def _learn(self, text: str) -> list[str]:
        words = [w for w in _words(text) if w not in (_SENTENCE_END, _COMMA)]
        self._known_raw.update(words)
        self._known.update(_collapse(w) for w in words)
        return words

    def _plain_canon(self, word: str) -> str:
        return _collapse(word)

    def _phrase_tokens_plain(self, text: str) -> list[str]:
        return [self._plain_canon(w) for w in self._learn(text)]

    def _phrase_variants_plain(self, pattern: str) -> list[tuple[str, ...]]:
        out = []
        for variant in _expand(pattern):
            tokens = self._rewrite([self._plain_canon(w) for w in self._learn(variant)])
            if tokens:
                out.append(tuple(tokens))
        return out

    def _phrase_variants(self, pattern: str) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for variant in _expand(pattern):
            tokens: list[str] = []
            for word in variant.split():
                if word == "<num>":
                    tokens.append(_NUM)
                else:
                    tokens.extend(self._plain_canon(w) for w in self._learn(word))
            tokens = self._rewrite(tokens) if self._rewrites else tokens
            if tokens:
                out.append(tuple(tokens))
        if not out:
            raise TriageDataError(f"phrase {pattern!r} has no words")
        return out

    @staticmethod
    def _insert(root: _TrieNode, tokens: Sequence[str], signal: str) -> None:
        node = root
        for token in tokens:
            node = node.children.setdefault(token, _TrieNode())
        if signal not in node.signals:
            node.signals.append(signal)

    def _rewrite(self, tokens: list[str]) -> list[str]:
        if not getattr(self, "_rewrites", None):
            return tokens
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._rewrite_max, len(tokens) - i), 0, -1):
                replacement = self._rewrites.get(tuple(tokens[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    # ------------------------------------------------------------------ canonical tokens

    def _canon(self, raw: str) -> str:
        cached = self._canon_cache.get(raw)
        if cached is not None:
            return cached
        if raw in (_SENTENCE_END, _COMMA) or raw in self._known_raw:
            canon = raw if raw in (_SENTENCE_END, _COMMA) else _collapse(raw)
        elif raw in self._ignore_raw:
            canon = raw
        else:
            collapsed = _collapse(raw)
            canon = collapsed
            if collapsed not in self._known and len(collapsed) >= self.fuzzy_min_length:
                canon = self._fuzzy(collapsed) or collapsed
        if len(self._canon_cache) >= _FUZZY_CACHE_LIMIT:
            self._canon_cache.clear()
        self._canon_cache[raw] = canon
        return canon

    def _fuzzy(self, word: str) -> str | None:
        for length in (len(word) - 1, len(word), len(word) + 1):
            for target in self._fuzzy_buckets.get((word[0], length), ()):
                if _within_one_edit(word, target):
                    return target
        return None

    def tokens(self, text: str) -> list[str]:
        """The canonical tokens the screener reads (for tests and debugging)."""
        return [t.canon for t in self._tokenise(text)]

    def _tokenise(self, text: str) -> list[_Token]:
        raw_words = normalise(text, self.max_chars)
        base = [_Token(raw, self._canon(raw)) for raw in raw_words]
        if not self._rewrites:
            return base
        out: list[_Token] = []
        i = 0
        while i < len(base):
            for size in range(min(self._rewrite_max, len(base) - i), 0, -1):
                key = tuple(t.canon for t in base[i : i + size])
                replacement = self._rewrites.get(key)
                if replacement is not None:
                    raw = " ".join(t.raw for t in base[i : i + size])
                    out.extend(_Token(raw, canon) for canon in replacement)
                    i += size
                    break
            else:
                out.append(base[i])
                i += 1
        return out

    # ------------------------------------------------------------------ matching

    def _is_number(self, canon: str) -> bool:
        return canon.isdigit() or canon in self._numbers

    def _walk(self, root: _TrieNode, canons: Sequence[str], start: int) -> list[tuple[str, int]]:
        """All (signal, end) of phrases in ``root`` that start at ``start``."""
        found: list[tuple[str, int]] = []
        frontier = [root]
        i = start
        while frontier and i < len(canons):
            token = canons[i]
            nxt: list[_TrieNode] = []
            for node in frontier:
                child = node.children.get(token)
                if child is not None:
                    nxt.append(child)
                if self._is_number(token):
                    num_child = node.children.get(_NUM)
                    if num_child is not None:
                        nxt.append(num_child)
            i += 1
            for node in nxt:
                found.extend((signal, i) for signal in node.signals)
            frontier = nxt
        return found

    def _find(self, canons: Sequence[str]) -> list[_Match]:
        matches: list[_Match] = []
        for start in range(len(canons)):
            if canons[start] in (_SENTENCE_END, _COMMA):
                continue
            for signal, end in self._walk(self._trie, canons, start):
                matches.append(_Match(signal, start, end))
        return matches

    def _drop_unless(self, canons: Sequence[str], matches: list[_Match]) -> list[_Match]:
        if not self._unless:
            return matches
        spans: dict[str, list[tuple[int, int]]] = {}
        for signal in {m.signal for m in matches if m.signal in self._unless}:
            root = self._unless[signal]
            for start in range(len(canons)):
                for _sig, end in self._walk(root, canons, start):
                    spans.setdefault(signal, []).append((start, end))
        return [
            m
            for m in matches
            if not any(s <= m.start and m.end <= e for s, e in spans.get(m.signal, ()))
        ]

    def _drop_contained(self, matches: list[_Match]) -> list[_Match]:
        kept: list[_Match] = []
        for m in matches:
            rank = self._level_rank[self.signals[m.signal].level]
            contained = False
            for o in matches:
                if o is m or not (o.start <= m.start and m.end <= o.end):
                    continue
                longer = (o.end - o.start) > (m.end - m.start)
                same_signal_dup = o.signal == m.signal and (o.start, o.end) != (m.start, m.end)
                if (longer and self._level_rank[self.signals[o.signal].level] <= rank) or (
                    same_signal_dup and longer
                ):
                    contained = True
                    break
            if not contained:
                kept.append(m)
        return kept

    # ------------------------------------------------------------------ negation

    def _starts_with(
        self, canons: Sequence[str], i: int, phrases: Iterable[tuple[str, ...]]
    ) -> bool:
        return any(tuple(canons[i : i + len(p)]) == p for p in phrases)

    def _negated(self, canons: Sequence[str], matches: list[_Match]) -> set[int]:
        """Indices (into ``matches``) of negated matches."""
        by_start: dict[int, list[int]] = {}
        covered = [False] * len(canons)
        for index, m in enumerate(matches):
            by_start.setdefault(m.start, []).append(index)
            for k in range(m.start, m.end):
                covered[k] = True
        negated: set[int] = set()

        for n, token in enumerate(canons):
            if token not in self._negators or covered[n]:
                continue
            following = canons[n + 1 : n + 3]
            if any(t in self._negator_cancel for t in following):
                continue
            if token in self._without and self._cancels_without(canons, n):
                continue
            negated.update(self._negation_scope(canons, n + 1, by_start, matches))

        for index, m in enumerate(matches):
            if index not in negated and self._negated_after(canons, m.end):
                negated.add(index)
        return negated

    def _cancels_without(self, canons: Sequence[str], n: int) -> bool:
        k = n - 1
        while k >= 0 and canons[k] != _SENTENCE_END:
            if canons[k] in self._without_cancel:
                return True
            k -= 1
        return False

    def _negation_scope(
        self,
        canons: Sequence[str],
        i: int,
        by_start: Mapping[int, list[int]],
        matches: Sequence[_Match],
    ) -> set[int]:
        scoped: set[int] = set()
        state = "pre"
        fillers = 0
        while i < len(canons):
            token = canons[i]
            starting = by_start.get(i, [])
            if starting and state != "after_item":
                end = max(matches[idx].end for idx in starting)
                for s in range(i, end):
                    scoped.update(by_start.get(s, ()))
                i = end
                state = "after_item"
                fillers = 0
                continue
            if state == "pre":
                if token in self._generic_items:
                    state = "after_item"
                elif token in self._pre_fillers and fillers < self._max_pre_fillers:
                    fillers += 1
                else:
                    break
            elif state == "after_item":
                if token in self._joiners:
                    state = "after_joiner"
                    fillers = 0
                else:
                    break
            else:  # after a joiner
                if token in self._generic_items:
                    state = "after_item"
                elif token in self._list_fillers and fillers < 2:
                    fillers += 1
                else:
                    break
            i += 1
        return scoped

    def _negated_after(self, canons: Sequence[str], end: int) -> bool:
        i = end
        skipped = 0
        while i < len(canons) and canons[i] in self._post_fillers and skipped < 3:
            i += 1
            skipped += 1
        if i >= len(canons) or not self._starts_with(canons, i, self._post_negators):
            return False
        k = i
        while k < len(canons) and canons[k] != _SENTENCE_END:
            if self._starts_with(canons, k, self._recurrence):
                return False
            k += 1
        return True

    # ------------------------------------------------------------------ public

    def screen(self, text: str) -> ScreenResult:
        """Screen ``text`` (only its first ``max_chars`` characters) for signals."""
        if not text:
            return ScreenResult()
        tokens = self._tokenise(text)
        canons = [t.canon for t in tokens]
        matches = self._find(canons)
        if not matches:
            return ScreenResult()
        matches = self._drop_contained(self._drop_unless(canons, matches))
        negated = self._negated(canons, matches)
        kept = [m for index, m in enumerate(matches) if index not in negated]
        kept.sort(key=lambda m: (m.start, m.end))
        signals = sorted({m.signal for m in kept}, key=self._signal_rank.__getitem__)
        level = next(
            (lvl for lvl in ALARM_LEVELS if any(self.signals[s].level == lvl for s in signals)),
            None,
        )
        pairs: list[tuple[str, str]] = []
        for m in kept:
            pair = (m.signal, " ".join(t.raw for t in tokens[m.start : m.end]))
            if pair not in pairs:
                pairs.append(pair)
        return ScreenResult(signals=tuple(signals), level=level, matches=tuple(pairs))

    def order(self, signals: Iterable[str]) -> list[str]:
        """Distinct known ``signals`` in precedence order; unknown ids raise ``KeyError``."""
        unique = set(signals)
        for signal in unique:
            if signal not in self.signals:
                raise KeyError(f"unknown signal id {signal!r}")
        return sorted(unique, key=self._signal_rank.__getitem__)

    @classmethod
    def from_dir(cls, directory: Path | None = None) -> Screener:
        """Build a screener from ``<directory>/triage.yaml``."""
        return cls(load_triage_data(directory))


@functools.lru_cache(maxsize=1)
def default_screener() -> Screener:
    """The screener built from :func:`content_dir` (cached; ``cache_clear()`` to reload)."""
    return Screener.from_dir()


def screen(text: str) -> ScreenResult:
    """Screen ``text`` with the default screener."""
    return default_screener().screen(text)
