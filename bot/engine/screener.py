"""Free-text red-flag screener: text -> safety signals, with every rule kept as data.

All vocabulary (phrases, negation words, typo guards, rewrites) lives in
``content/triage.yaml`` (the content bundle's ``rules``); this module only knows the grammar
of that file. The words shown to people (labels, reasons) are each language's
``content/locales/<lang>/triage.yaml``.

How a text is screened (linear in the length of the text, which is capped):

1. Normalise: the first ``max_chars`` characters only; Unicode NFKD, accents dropped,
   case-folded, apostrophes removed (``can't`` -> ``cant``), anything that is not a
   letter or digit becomes a separator; ``. ! ? ;`` and line breaks end a sentence and
   commas are kept as list separators.
2. Canonicalise every word: a word used by the data is read as itself; a listed real
   word that looks like a symptom word is kept as it is (``looked``, ``stolen``);
   otherwise a word whose repeated letters collapse to a known word's is read as that
   word (``sweeling`` -> ``swelling``), and a word of ``fuzzy_min_length`` letters or more
   that is one edit (Damerau) away from a listed red-flag word, starting with the same
   letter, is read as that word (``swollon`` -> ``swollen``). Multi-word rewrites follow
   (``knee cap`` -> ``kneecap``, ``cannot`` -> ``cant``).
3. Match the phrases of every signal (a token trie; ``...`` in a phrase skips up to
   ``max_gap`` words of the same sentence). A match overlapping one of the signal's
   ``unless`` phrases is dropped (``popped out for a run``), and so is a match inside a
   longer match of an at-least-as-serious signal (``swollen calf`` is a clot sign, not
   knee swelling).
4. Negation: a negator (``no``, ``not``, ``never``, ``without``, ``don't`` ...) followed
   by at most a few filler words negates the next item and every item of a short list
   joined by ``or``/``and``/``nor``/commas; anything else (``but``, a verb, sentence
   punctuation) ends the scope. ``not sure`` / ``don't know`` / ``don't think`` are
   uncertainty, not negation, so the signal stands. ``can't ... without`` is not a
   negation. A trailing ``is gone`` / ``went down`` negates the item before it unless
   the sentence says it comes back.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALARM_LEVELS",
    "ScreenResult",
    "Screener",
    "SignalSpec",
    "TriageDataError",
    "normalise",
]

ALARM_LEVELS: tuple[str, ...] = ("urgent", "see_clinician", "other_likely")
"""Levels that count as an alarm, most serious first (``ScreenResult.level``)."""

VALID_LEVELS: tuple[str, ...] = (*ALARM_LEVELS, "feature", "advice")

_NUM = "\x00num"  # trie token standing for any number
_GAP = "\x00gap"  # trie token: skip up to max_gap words
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
        self.max_gap: int = int(lang.get("max_gap", 4))
        if self.max_chars <= 0 or self.fuzzy_min_length < 3 or self.max_gap < 0:
            raise TriageDataError("language.max_chars / fuzzy_min_length / max_gap out of range")

        levels = _mapping(data.get("levels", {}), "levels")
        order = _str_list(levels.get("order"), "levels.order")
        if sorted(order) != sorted(VALID_LEVELS):
            raise TriageDataError(f"levels.order must list exactly {VALID_LEVELS}")
        self.level_order: tuple[str, ...] = tuple(order)
        self._level_rank = {name: i for i, name in enumerate(order)}

        self.signals: dict[str, SignalSpec] = {}
        for signal_id, spec in _mapping(data.get("signals"), "signals").items():
            self.signals[str(signal_id)] = self._signal_spec(str(signal_id), spec)
        self._signal_rank = {
            sid: (self._level_rank[spec.level], index)
            for index, (sid, spec) in enumerate(self.signals.items())
        }

        # Every raw word the data mentions is "known": read as itself, never corrected.
        self._known_raw: set[str] = set()
        self._learnt: dict[str, list[str]] = {}  # while building: a word's tokens, once
        self._numbers = frozenset(
            w for n in _str_list(lang.get("number_words"), "number_words") for w in _words(n)
        )
        self._ignore_raw = frozenset(
            w for item in _str_list(lang.get("fuzzy_ignore"), "fuzzy_ignore") for w in _words(item)
        )

        self._rewrites: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in _mapping(lang.get("rewrites", {}), "language.rewrites").items():
            key, value = tuple(self._learn(str(source))), tuple(self._learn(str(target)))
            if not key or not value:
                raise TriageDataError(f"empty rewrite {source!r} -> {target!r}")
            self._rewrites[key] = value
        self._rewrite_max = max((len(k) for k in self._rewrites), default=0)

        def words_of(key: str) -> frozenset[str]:
            out: set[str] = set()
            for item in _str_list(lang.get(key), f"language.{key}"):
                out.update(self._rewrite(self._learn(item)))
            return frozenset(out)

        def phrases_of(key: str) -> tuple[tuple[str, ...], ...]:
            out: list[tuple[str, ...]] = []
            for item in _str_list(lang.get(key), f"language.{key}"):
                out.extend(self._phrase_variants(item, allow_gaps=False))
            return tuple(out)

        self._negators = words_of("negators")
        self._negator_cancel = words_of("negator_cancelled_by_next")
        self._without = words_of("without_words")
        self._without_cancel = words_of("without_cancelled_by")
        self._pre_fillers = words_of("pre_fillers")
        self._max_pre_fillers = int(lang.get("max_pre_fillers", 4))
        self._max_scope = int(lang.get("max_scope", 16))
        self._joiners = words_of("list_joiners") | {_COMMA}
        self._list_fillers = words_of("list_fillers")
        self._clause_starters = words_of("clause_starters")
        self._generic_items = words_of("generic_items")
        self._post_fillers = words_of("post_fillers")
        self._post_negators = phrases_of("post_negators")
        self._recurrence = phrases_of("recurrence")

        # Phrase trie and per-signal "unless" tries.
        self._trie = _TrieNode()
        self._unless: dict[str, _TrieNode] = {}
        for spec in self.signals.values():
            for i, phrase in enumerate(spec.phrases):
                for tokens in self._located(spec.id, f"phrases[{i + 1}]", phrase):
                    self._insert(self._trie, tokens, spec.id)
            if spec.unless:
                node = _TrieNode()
                for i, phrase in enumerate(spec.unless):
                    for tokens in self._located(spec.id, f"unless[{i + 1}]", phrase):
                        self._insert(node, tokens, spec.id)
                self._unless[spec.id] = node

        # Typo handling: collapsed spelling -> known word, and one-edit fuzzy targets.
        red_flag_words: set[str] = set()
        self._fuzzy_buckets: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for word in _str_list(lang.get("fuzzy_words"), "language.fuzzy_words"):
            for raw in _words(word):
                if raw not in self._known_raw:
                    raise TriageDataError(f"fuzzy word {word!r} is not used in any phrase")
                collapsed = _collapse(raw)
                if len(collapsed) < self.fuzzy_min_length:
                    raise TriageDataError(f"fuzzy word {word!r} is too short")
                red_flag_words.add(raw)
                bucket = self._fuzzy_buckets.setdefault((collapsed[0], len(collapsed)), [])
                if (collapsed, raw) not in bucket:
                    bucket.append((collapsed, raw))
        for bucket in self._fuzzy_buckets.values():
            bucket.sort()
        self._by_collapsed: dict[str, str] = {}
        for raw in sorted(self._known_raw, key=lambda w: (w not in red_flag_words, w)):
            self._by_collapsed.setdefault(_collapse(raw), raw)
        self._canon_cache: dict[str, str] = {}
        self._learnt = {}  # only needed while building

    def _signal_spec(self, signal_id: str, spec: object) -> SignalSpec:
        where = f"signals.{signal_id}"
        spec_map = _mapping(spec, where)
        level = spec_map.get("level")
        if level not in VALID_LEVELS:
            raise TriageDataError(f"{where}.level {level!r} is not valid")
        phrases = _str_list(spec_map.get("phrases"), f"{where}.phrases")
        if not phrases:
            raise TriageDataError(f"{where}.phrases must not be empty")
        return SignalSpec(
            id=signal_id,
            level=str(level),
            phrases=tuple(phrases),
            unless=tuple(_str_list(spec_map.get("unless"), f"{where}.unless")),
        )

    # ------------------------------------------------------------------ loading helpers

    def _located(self, signal_id: str, field: str, phrase: str) -> list[tuple[str, ...]]:
        """A phrase's variants; a problem names the signal and the field it is in."""
        try:
            return self._phrase_variants(phrase)
        except TriageDataError as exc:
            raise TriageDataError(f"signal '{signal_id}': field '{field}': {exc}") from None

    def _learn(self, text: str) -> list[str]:
        words = self._learnt.get(text)
        if words is None:
            words = [w for w in _words(text) if w not in (_SENTENCE_END, _COMMA)]
            self._known_raw.update(words)
            self._learnt[text] = words
        return list(words)

    def _phrase_variants(self, pattern: str, allow_gaps: bool = True) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for variant in _expand(pattern):
            tokens: list[str] = []
            for word in variant.split():
                if word == "<num>":
                    tokens.append(_NUM)
                elif word == "..." and allow_gaps:
                    tokens.append(_GAP)
                else:
                    tokens.extend(self._learn(word))
            tokens = self._rewrite(tokens)
            if tokens and _GAP in (tokens[0], tokens[-1]):
                raise TriageDataError(f"phrase {pattern!r} may not start or end with ...")
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
        if not self._rewrites:
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
        """The word ``raw`` is read as: itself, a known word, or a red-flag word it misspells."""
        cached = self._canon_cache.get(raw)
        if cached is not None:
            return cached
        canon = raw
        if raw not in self._known_raw and raw not in self._ignore_raw and raw[0].isalpha():
            collapsed = _collapse(raw)
            known = self._by_collapsed.get(collapsed)
            if known is not None:
                canon = known
            elif len(collapsed) >= self.fuzzy_min_length:
                canon = self._fuzzy(collapsed) or raw
        if len(self._canon_cache) >= _FUZZY_CACHE_LIMIT:
            self._canon_cache.clear()
        self._canon_cache[raw] = canon
        return canon

    def _fuzzy(self, collapsed: str) -> str | None:
        for length in (len(collapsed) - 1, len(collapsed), len(collapsed) + 1):
            for target, raw in self._fuzzy_buckets.get((collapsed[0], length), ()):
                if _within_one_edit(collapsed, target):
                    return raw
        return None

    def tokens(self, text: str) -> list[str]:
        """The canonical tokens the screener reads (for tests and debugging)."""
        return [t.canon for t in self._tokenise(text)]

    def _tokenise(self, text: str) -> list[_Token]:
        base = [_Token(raw, self._canon(raw)) for raw in normalise(text, self.max_chars)]
        if not self._rewrites:
            return base
        out: list[_Token] = []
        i = 0
        while i < len(base):
            for size in range(min(self._rewrite_max, len(base) - i), 0, -1):
                replacement = self._rewrites.get(tuple(t.canon for t in base[i : i + size]))
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

    def _walk(self, root: _TrieNode, canons: Sequence[str], start: int) -> list[tuple[str, int]]:
        """All (signal, end) of phrases in ``root`` that start at ``start``.

        ``...`` in a phrase skips up to ``max_gap`` words within the sentence.
        """
        found: list[tuple[str, int]] = []
        frontier: dict[int, tuple[_TrieNode, int]] = {id(root): (root, 0)}
        i = start
        while frontier and i < len(canons):
            token = canons[i]
            if token == _SENTENCE_END:
                break
            for node, _budget in list(frontier.values()):
                gap = node.children.get(_GAP)
                if gap is not None and id(gap) not in frontier:
                    frontier[id(gap)] = (gap, self.max_gap)
            is_number = token.isdigit() or token in self._numbers
            nxt: dict[int, tuple[_TrieNode, int]] = {}
            for node, budget in frontier.values():
                number_child = node.children.get(_NUM) if is_number else None
                for child in (node.children.get(token), number_child):
                    if child is not None:
                        nxt[id(child)] = (child, 0)
                        found.extend((signal, i + 1) for signal in child.signals)
                if budget > 0:
                    kept = nxt.get(id(node))
                    if kept is None or kept[1] < budget - 1:
                        nxt[id(node)] = (node, budget - 1)
            frontier = nxt
            i += 1
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
        spans: dict[str, list[tuple[int, int]]] = {}
        for signal in {m.signal for m in matches if m.signal in self._unless}:
            root = self._unless[signal]
            for start in range(len(canons)):
                for _sig, end in self._walk(root, canons, start):
                    spans.setdefault(signal, []).append((start, end))
        return [
            m
            for m in matches
            if not any(s < m.end and m.start < e for s, e in spans.get(m.signal, ()))
        ]

    def _drop_contained(self, matches: list[_Match]) -> list[_Match]:
        """Drop a match lying inside a longer match of an at-least-as-serious signal."""
        by_start: dict[int, list[_Match]] = {}
        for m in matches:
            by_start.setdefault(m.start, []).append(m)
        longest = max((m.end - m.start for m in matches), default=0)
        kept: list[_Match] = []
        for m in matches:
            rank = self._level_rank[self.signals[m.signal].level]
            if not any(
                m.end <= o.end
                and (o.end - o.start) > (m.end - m.start)
                and self._level_rank[self.signals[o.signal].level] <= rank
                for start in range(max(0, m.end - longest), m.start + 1)
                for o in by_start.get(start, ())
            ):
                kept.append(m)
        return kept

    # ------------------------------------------------------------------ negation

    @staticmethod
    def _starts_with(canons: Sequence[str], i: int, phrases: Iterable[tuple[str, ...]]) -> bool:
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
            if any(t in self._negator_cancel for t in canons[n + 1 : n + 3]):
                continue  # "not sure if", "don't think": uncertainty, not negation
            if token in self._without and self._cancels_without(canons, n):
                continue  # "can't run without it swelling"
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
        """Matches negated by a negator just before ``i``: the first item after a few
        fillers, then every item of a list joined by or/and/nor/commas."""
        scoped: set[int] = set()
        state = "pre"
        fillers = 0
        stop = min(len(canons), i + self._max_scope)
        while i < stop:
            token = canons[i]
            starting = by_start.get(i, [])
            if state == "after_joiner" and token in self._clause_starters:
                break  # "no swelling, it gives way": a new clause, not a list item
            if starting and state != "after_item":
                end = max(matches[idx].end for idx in starting)
                for s in range(i, end):
                    scoped.update(by_start.get(s, ()))
                i = end
                state = "after_item"
                continue
            if state == "pre":
                if token in self._generic_items:
                    state = "after_item"
                elif token in self._pre_fillers and fillers < self._max_pre_fillers:
                    fillers += 1
                else:
                    break
            elif state == "after_item":
                if token not in self._joiners:
                    break
                state = "after_joiner"
                fillers = 0
            elif token in self._generic_items:  # after a joiner
                state = "after_item"
            elif token in self._joiners:  # ", or"
                pass
            elif token in self._list_fillers and fillers < 2:
                fillers += 1
            else:
                break
            i += 1
        return scoped

    def _negated_after(self, canons: Sequence[str], end: int) -> bool:
        """``<item> has gone down`` / ``is gone``, unless the sentence says it comes back."""
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
        kept = sorted(
            (m for index, m in enumerate(matches) if index not in negated),
            key=lambda m: (m.start, m.end),
        )
        signals = self.order(m.signal for m in kept)
        level = next(
            (lvl for lvl in ALARM_LEVELS if any(self.signals[s].level == lvl for s in signals)),
            None,
        )
        pairs = {(m.signal, " ".join(t.raw for t in tokens[m.start : m.end])): None for m in kept}
        return ScreenResult(signals=tuple(signals), level=level, matches=tuple(pairs))

    def order(self, signals: Iterable[str]) -> list[str]:
        """Distinct ``signals`` in precedence order; an unknown id raises ``KeyError``."""
        unique = set(signals)
        for signal in unique:
            if signal not in self.signals:
                raise KeyError(f"unknown signal id {signal!r}")
        return sorted(unique, key=self._signal_rank.__getitem__)
