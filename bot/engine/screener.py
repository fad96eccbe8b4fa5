"""Free-text red-flag screener: text -> safety signals, with every rule kept as data.

All vocabulary (phrases, negation words, context triggers, typo guards, rewrites, the red
flags of other languages) lives in ``content/triage.yaml`` (the content bundle's ``rules``);
this module only knows the grammar of that file. The words shown to people (labels,
reasons, why a modifier fired) are each language's ``content/locales/<lang>/triage.yaml``.

How a text is screened (linear in the length of the text, which is capped):

1. Normalise: the first ``max_chars`` characters only; Unicode NFKD, accents dropped,
   case-folded, apostrophes removed (``can't`` -> ``cant``); words are runs of Unicode
   letters (any script) or of digits (``15yo`` -> ``15 yo``; ``39,2`` stays one number);
   ``. ! ;`` and line breaks end a sentence, ``?`` ends one as a question, ``:`` and a
   free-standing dash mark a label and its answer (``Swelling - none``), commas are kept
   as list separators.
2. Canonicalise every word: a word used by the data is read as itself; a listed real
   word that looks like a symptom word is kept as it is (``looked``, ``stolen``);
   otherwise a word whose repeated letters collapse to a known word's is read as that
   word (``sweeling`` -> ``swelling``); a word of ``fuzzy_min_length`` letters or more
   that is one edit (Damerau) away from a listed red-flag word, starting with the same
   letter, is read as that word (``swollon`` -> ``swollen``); a short word is read as a
   listed short red-flag word only when two neighbouring letters are swapped (``cnat``)
   or one letter of a five-letter red-flag word is missing (``fevr``). Multi-word
   rewrites follow (``knee cap`` -> ``kneecap``, ``cannot`` -> ``cant``).
3. Match the phrases of every signal (a token trie; ``...`` in a phrase skips up to
   ``max_gap`` words of the same sentence, ``....`` up to ``wide_gap`` of the same clause
   (which a comma, a label or one of ``wide_gap_breaks`` ends);
   ``<num>`` is any number and ``<num:13-17>`` a number in that range). A match
   overlapping one of the signal's ``unless`` phrases is dropped (``popped out for a
   run``), and so is a match inside a longer match of an at-least-as-serious signal
   (``swollen calf`` is a clot sign, not knee swelling).
4. Context (the ConText model of clinical text processing): every match becomes a
   finding with the modifiers that apply to it, each naming the rule that gave it and the
   words that triggered it:
   - ``negated`` by a negator (``no``, ``not``, ``at no point``, ``wouldn't call it``)
     followed by at most a few filler words, reaching the next item and every item of a
     short list joined by ``or``/``and``/``nor``/commas (rule ``negator``); by a negator
     inside the words a ``...`` skipped (``calf isn't swollen``, rule ``inside``); by a
     trailing ``is gone`` / ``went down`` unless the sentence says it comes back (rule
     ``resolved``); by a negative answer to a question or label (``Swelling? Nope.``,
     ``swelling - none``, rule ``answer``). ``not sure`` / ``don't know`` are uncertainty,
     not negation; ``can't ... without`` is not a negation;
   - ``historical``, ``other`` (someone else), ``hypothetical`` and ``uncertain`` (and
     more ``negated``) from the trigger phrases of ``context.rules``, each with a direction
     (forward, backward, both) and a scope that ends at the sentence, at a terminator
     (``but``) or after ``context.max_scope`` words; ``context.pseudo`` phrases are not
     triggers (``since last year``); when the text is written about someone else as the
     patient (``context.proxy``: ``on behalf of my husband``), ``other`` does not apply.
   A finding counts unless it is negated, historical, someone else's or hypothetical;
   uncertainty about this runner still counts. A signal may ``keep`` a modifier (but for
   the rules it names in ``keep_unless``): a history of cancer counts however long ago it
   was; surgery on the knee "last year" counts, "years ago" does not.
5. Derive: ``derive`` rules add signals from combinations (a teenager with a limp), so
   the location of the pain outweighs a sport's name.
"""

from __future__ import annotations

import copy
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.content.triage import BUILTIN_RULES, MODIFIERS
from bot.engine.screen_context import ContextRule, ContextRules, Modifier
from bot.engine.screen_text import (
    COMMA,
    ENDS,
    GAP,
    GROUP_RE,
    LABEL,
    MARKS,
    NUM,
    NUM_RANGE,
    QUESTION,
    RANGE_RE,
    SAME,
    SENTENCE_END,
    WIDE_GAP,
    TriageDataError,
    collapse,
    expand,
    groups,
    mapping_of,
    normalise,
    one_missing,
    str_list,
    swapped,
    text_tokens,
    within_one_edit,
)
from bot.engine.screen_trie import Gaps, Numbers, TrieNode, insert, spans

__all__ = [
    "ALARM_LEVELS",
    "BUILTIN_RULES",
    "MODIFIERS",
    "SUPPRESSING",
    "Finding",
    "Modifier",
    "ScreenResult",
    "Screener",
    "SignalSpec",
    "TriageDataError",
    "normalise",
]

_FUZZY_CACHE_LIMIT = 8192

ALARM_LEVELS: tuple[str, ...] = ("urgent", "see_clinician", "other_likely")
"""Levels that count as an alarm, most serious first (``ScreenResult.level``)."""

VALID_LEVELS: tuple[str, ...] = (*ALARM_LEVELS, "feature", "advice")

SUPPRESSING: frozenset[str] = frozenset({"negated", "historical", "other", "hypothetical"})

NEGATION_KEYS = frozenset({
    "negators", "negator_phrases", "negator_cancelled_by_next", "pre_fillers",
    "max_pre_fillers", "max_scope", "list_joiners", "list_fillers", "clause_starters",
    "generic_items", "answer_negatives"})
"""What ``languages.<code>.negation`` may say (the same fields as ``language``)."""
"""Modifiers that stop a finding from counting (uncertainty about this runner does not)."""

# --------------------------------------------------------------------------- data model


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """One signal as declared in ``triage.yaml``."""

    id: str
    level: str
    phrases: tuple[str, ...]
    unless: tuple[str, ...] = ()
    keep: frozenset[str] = frozenset()  # modifiers that do not stop this signal counting
    # context rules whose modifier stops it counting all the same ("years ago" for surgery,
    # which keeps "last year")
    keep_unless: frozenset[str] = frozenset()
    asked: tuple[str, ...] = ()  # an ability asked about and answered no ("Able to walk: no")


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of a signal's phrase, with its modifiers; ``counted`` is False when a
    modifier stops it from counting. ``lang`` is the language of the phrase matched."""

    signal: str
    words: str
    modifiers: tuple[Modifier, ...] = ()
    counted: bool = True
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """What the screener found in one text.

    ``signals`` are in precedence order (level, then the order of ``triage.yaml``);
    ``level`` is the most serious alarm level present (``urgent`` > ``see_clinician`` >
    ``other_likely``) or ``None``; ``matches`` pairs each counted signal with the words
    (as typed, lower-cased) that triggered it, in text order; ``findings`` has every match,
    counted or not, with its modifiers; ``derived`` the signals added by ``derive`` rules.
    """

    signals: tuple[str, ...] = ()
    level: str | None = None
    matches: tuple[tuple[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()
    derived: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    canon: str


@dataclass(frozen=True, slots=True)
class _Match:
    signal: str
    start: int
    end: int
    gaps: tuple[int, ...] = ()  # token positions a "..." skipped
    lang: str = "en"
    asked: bool = False  # an ability asked about and answered no: the answer is the finding


@dataclass(frozen=True, slots=True)
class _Syntax:
    """How one language says "not": its negators and the words a negation reaches over
    (English from ``language``; the others from ``languages.<code>.negation``)."""

    negators: frozenset[str]
    negator_phrases: tuple[tuple[str, ...], ...]
    cancel: frozenset[str]
    pre_fillers: frozenset[str]
    max_pre_fillers: int
    max_scope: int
    joiners: frozenset[str]
    list_fillers: frozenset[str]
    clause_starters: frozenset[str]
    generic_items: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Derive:
    all: frozenset[str]
    any: frozenset[str]
    none: frozenset[str]
    signal: str


class Screener:
    """Screens free text for the signals declared in ``triage.yaml`` data."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        lang = mapping_of(data.get("language", {}), "language")
        # Called with the level of every screened text (the service counts them).
        self.observers: list[Callable[[str | None], None]] = []
        self.max_chars: int = int(lang.get("max_chars", 4096))
        self.fuzzy_min_length: int = int(lang.get("fuzzy_min_length", 5))
        max_gap = int(lang.get("max_gap", 4))
        wide_gap = int(lang.get("wide_gap", max_gap))
        if (self.max_chars <= 0 or self.fuzzy_min_length < 3 or max_gap < 0
                or wide_gap < max_gap):
            raise TriageDataError(
                "language.max_chars / fuzzy_min_length / max_gap / wide_gap out of range")
        breaks = str_list(lang.get("wide_gap_breaks"), "language.wide_gap_breaks")
        self._gaps = Gaps(max_gap, wide_gap,
                          frozenset(t for word in breaks for t in text_tokens(word)))

        levels = mapping_of(data.get("levels", {}), "levels")
        order = str_list(levels.get("order"), "levels.order")
        if sorted(order) != sorted(VALID_LEVELS):
            raise TriageDataError(f"levels.order must list exactly {VALID_LEVELS}")
        self.level_order: tuple[str, ...] = tuple(order)
        self._level_rank = {name: i for i, name in enumerate(order)}

        self.signals: dict[str, SignalSpec] = {}
        for signal_id, spec in mapping_of(data.get("signals"), "signals").items():
            self.signals[str(signal_id)] = self._signal_spec(str(signal_id), spec)
        self._signal_rank = {
            sid: (self._level_rank[spec.level], index)
            for index, (sid, spec) in enumerate(self.signals.items())
        }

        # Every raw word the data mentions is "known": read as itself, never corrected.
        self._known_raw: set[str] = set()
        self._learnt: dict[str, list[str]] = {}  # while building: a word's tokens, once
        self._number_values: dict[str, int] = {}
        values = lang.get("number_values", {})
        for word, value in mapping_of(values, "language.number_values").items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TriageDataError(f"language.number_values.{word} must be a whole number")
            for w in text_tokens(str(word)):
                self._number_values[w] = value
        self._numbers = frozenset(
            w for n in str_list(lang.get("number_words"), "number_words") for w in text_tokens(n)
        ) | frozenset(self._number_values)
        self._number_reader = Numbers(self._numbers, self._number_values)
        ignore = str_list(lang.get("fuzzy_ignore"), "fuzzy_ignore")
        self._ignore_raw = frozenset(w for item in ignore for w in text_tokens(item))

        self._rewrites: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in mapping_of(lang.get("rewrites", {}), "language.rewrites").items():
            key, value = tuple(self._learn(str(source))), tuple(self._learn(str(target)))
            if not key or not value:
                raise TriageDataError(f"empty rewrite {source!r} -> {target!r}")
            self._rewrites[key] = value
        self._rewrite_max = max((len(k) for k in self._rewrites), default=0)
        self._rewrite_starts = frozenset(k[0] for k in self._rewrites)

        def words_of(key: str, where: Mapping[str, Any] = lang, prefix: str = "language"
                     ) -> frozenset[str]:
            out: set[str] = set()
            for item in str_list(where.get(key), f"{prefix}.{key}"):
                out.update(self._rewrite(self._learn(item)))
            return frozenset(out)

        def phrases_of(key: str, where: Mapping[str, Any] = lang, prefix: str = "language"
                       ) -> tuple[tuple[str, ...], ...]:
            out: list[tuple[str, ...]] = []
            for item in str_list(where.get(key), f"{prefix}.{key}"):
                out.extend(self._phrase_variants(item, allow_gaps=False))
            return tuple(out)

        def syntax(where: Mapping[str, Any], prefix: str) -> _Syntax:
            return _Syntax(
                negators=words_of("negators", where, prefix),
                negator_phrases=tuple(
                    p for p in phrases_of("negator_phrases", where, prefix) if p),
                cancel=words_of("negator_cancelled_by_next", where, prefix),
                pre_fillers=words_of("pre_fillers", where, prefix),
                max_pre_fillers=int(where.get("max_pre_fillers", 4)),
                max_scope=int(where.get("max_scope", 16)),
                joiners=words_of("list_joiners", where, prefix) | {COMMA},
                list_fillers=words_of("list_fillers", where, prefix),
                clause_starters=words_of("clause_starters", where, prefix),
                generic_items=words_of("generic_items", where, prefix),
            )

        self._syntax_of = syntax
        english = syntax(lang, "language")
        # language code -> its negation syntax ("en" first; the others from `languages`)
        self._syntaxes: dict[str, _Syntax] = {"en": english}
        self._negators = english.negators
        self._negator_cancel = english.cancel
        self._without = words_of("without_words")
        self._without_cancel = words_of("without_cancelled_by")
        self._post_fillers = words_of("post_fillers")
        self._post_negators = phrases_of("post_negators")
        self._recurrence = phrases_of("recurrence")
        self._not_recurring = phrases_of("not_recurring")
        self._answer_negatives = phrases_of("answer_negatives")
        self._answer_labels = words_of("answer_labels")
        self._ability_negatives = phrases_of("ability_negatives")
        self._ability_cancel = words_of("ability_cancelled_by_next")
        self._list_phrases = phrases_of

        # Phrase trie and per-signal "unless" tries.
        self._trie = TrieNode()
        self._unless: dict[str, TrieNode] = {}
        self._signal_words: dict[str, set[str]] = {}
        for spec in self.signals.values():
            for i, phrase in enumerate(spec.phrases):
                for tokens in self._located(f"signal '{spec.id}'", f"phrases[{i + 1}]", phrase):
                    insert(self._trie, tokens, spec.id)
                    self._signal_words.setdefault(spec.id, set()).update(tokens)
            if spec.unless:
                node = TrieNode()
                for i, phrase in enumerate(spec.unless):
                    for tokens in self._located(f"signal '{spec.id}'", f"unless[{i + 1}]", phrase):
                        insert(node, tokens, spec.id)
                self._unless[spec.id] = node
        # Abilities asked about ("Able to walk:", "Can you put weight on it?"): answered no,
        # the answer is the finding.
        self._asked = TrieNode()
        for spec in self.signals.values():
            for i, phrase in enumerate(spec.asked):
                for tokens in self._located(f"signal '{spec.id}'", f"asked[{i + 1}]", phrase):
                    insert(self._asked, tokens, spec.id)

        self.context = ContextRules(
            mapping_of(data.get("context", {}), "context"),
            {sid: spec.level for sid, spec in self.signals.items()}, self._located,
            self._phrases_at)
        self.context_rules: Mapping[str, ContextRule] = self.context.rules
        for spec in self.signals.values():
            unknown = sorted(spec.keep_unless - set(self.context_rules))
            if unknown:
                raise TriageDataError(f"signals.{spec.id}.keep_unless: unknown context rules "
                                      f"{unknown}")
        self._derive_rules = self._derives(data.get("derive", []))
        self.languages: dict[str, frozenset[str]] = {}
        self._languages(mapping_of(data.get("languages", {}), "languages"))

        # Typo handling: collapsed spelling -> known word, and one-edit fuzzy targets.
        red_flag_words: set[str] = set()
        self._fuzzy_buckets: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for word in str_list(lang.get("fuzzy_words"), "language.fuzzy_words"):
            for raw in text_tokens(word):
                if raw not in self._known_raw:
                    raise TriageDataError(f"fuzzy word {word!r} is not used in any phrase")
                collapsed = collapse(raw)
                if len(collapsed) < self.fuzzy_min_length:
                    raise TriageDataError(f"fuzzy word {word!r} is too short")
                red_flag_words.add(raw)
                bucket = self._fuzzy_buckets.setdefault((collapsed[0], len(collapsed)), [])
                if (collapsed, raw) not in bucket:
                    bucket.append((collapsed, raw))
        for bucket in self._fuzzy_buckets.values():
            bucket.sort()
        self._short_fuzzy: list[str] = []
        for word in str_list(lang.get("fuzzy_short_words"), "language.fuzzy_short_words"):
            for raw in text_tokens(word):
                if raw not in self._known_raw:
                    raise TriageDataError(f"fuzzy short word {word!r} is not used in any phrase")
                if not 3 <= len(raw) <= 4:
                    raise TriageDataError(f"fuzzy short word {word!r} must have 3 or 4 letters")
                self._short_fuzzy.append(raw)
        self._by_collapsed: dict[str, str] = {}
        for raw in sorted(self._known_raw, key=lambda w: (w not in red_flag_words, w)):
            self._by_collapsed.setdefault(collapse(raw), raw)
        self._five_letter_flags = sorted(w for w in red_flag_words if len(w) == 5)
        self._red_flag_words = frozenset(red_flag_words)
        self._canon_cache: dict[str, str] = {}
        self._learnt = {}  # only needed while building

    # ------------------------------------------------------------------ loading

    def _signal_spec(self, signal_id: str, spec: object) -> SignalSpec:
        where = f"signals.{signal_id}"
        spec_map = mapping_of(spec, where)
        level = spec_map.get("level")
        if level not in VALID_LEVELS:
            raise TriageDataError(f"{where}.level {level!r} is not valid")
        phrases = str_list(spec_map.get("phrases"), f"{where}.phrases")
        if not phrases:
            raise TriageDataError(f"{where}.phrases must not be empty")
        keep = str_list(spec_map.get("keep"), f"{where}.keep")
        unknown = [k for k in keep if k not in SUPPRESSING]
        if unknown:
            raise TriageDataError(f"{where}.keep: {unknown} are not modifiers that suppress "
                                  f"({sorted(SUPPRESSING)})")
        return SignalSpec(
            id=signal_id,
            level=str(level),
            phrases=tuple(phrases),
            unless=tuple(str_list(spec_map.get("unless"), f"{where}.unless")),
            keep=frozenset(keep),
            keep_unless=frozenset(str_list(spec_map.get("keep_unless"), f"{where}.keep_unless")),
            asked=tuple(str_list(spec_map.get("asked"), f"{where}.asked")),
        )

    def _phrases_at(self, where: str, name: str, value: object) -> tuple[tuple[str, ...], ...]:
        out: list[tuple[str, ...]] = []
        for i, item in enumerate(str_list(value, f"{where}.{name}")):
            try:
                out.extend(self._phrase_variants(item, allow_gaps=False))
            except TriageDataError as exc:
                raise TriageDataError(f"{where}: field '{name}[{i + 1}]': {exc}") from None
        return tuple(out)

    def _derives(self, raw_rules: object) -> tuple[_Derive, ...]:
        if not isinstance(raw_rules, list):
            raise TriageDataError("derive must be a list")
        out: list[_Derive] = []
        for index, raw in enumerate(raw_rules):
            where = f"derive[{index + 1}]"
            rule = mapping_of(raw, where)
            sets: dict[str, frozenset[str]] = {}
            for key in ("all", "any", "none"):
                names = str_list(rule.get(key), f"{where}.{key}")
                unknown = [n for n in names if n not in self.signals]
                if unknown:
                    raise TriageDataError(f"{where}: field '{key}': unknown signals {unknown}")
                sets[key] = frozenset(names)
            signal = rule.get("signal")
            if signal not in self.signals:
                raise TriageDataError(f"{where}: field 'signal': {signal!r} is not a signal")
            if not sets["all"] and not sets["any"]:
                raise TriageDataError(f"{where}: needs 'all' or 'any'")
            out.append(_Derive(sets["all"], sets["any"], sets["none"], str(signal)))
        return tuple(out)

    def _languages(self, langs: Mapping[str, Any]) -> None:
        """``languages``: stop words to recognise each language, and the red-flag phrases
        of the languages other than English (matched like English phrases)."""
        self._min_hits = int(langs.get("min_stopwords", 2))
        for code, raw in langs.items():
            if code == "min_stopwords":
                continue
            where = f"languages.{code}"
            spec = mapping_of(raw, where)
            stop = str_list(spec.get("stopwords"), f"{where}.stopwords")
            if not stop:
                raise TriageDataError(f"{where}: field 'stopwords' must not be empty")
            self.languages[str(code)] = frozenset(w for s in stop for w in text_tokens(s))
            if "negation" in spec:
                negation = mapping_of(spec.get("negation"), f"{where}.negation")
                unknown = sorted(set(negation) - NEGATION_KEYS)
                if unknown:
                    raise TriageDataError(f"{where}.negation: unknown fields {unknown}")
                self._syntaxes[str(code)] = self._syntax_of(negation, f"{where}.negation")
                self._answer_negatives += self._list_phrases(
                    "answer_negatives", negation, f"{where}.negation")
            for signal, phrases in mapping_of(spec.get("signals", {}), f"{where}.signals").items():
                if signal not in self.signals:
                    raise TriageDataError(f"{where}.signals: {signal!r} is not a signal")
                for i, phrase in enumerate(str_list(phrases, f"{where}.signals.{signal}")):
                    for tokens in self._located(where, f"signals.{signal}[{i + 1}]", phrase):
                        insert(self._trie, tokens, f"{signal}@{code}")
                        self._signal_words.setdefault(signal, set()).update(tokens)
        if self.languages and "en" not in self.languages:
            raise TriageDataError("languages: English ('en') needs its stop words too")

    def _located(self, owner: str, field: str, phrase: str) -> list[tuple[str, ...]]:
        """A phrase's variants; a problem names the entry and the field it is in."""
        try:
            return self._phrase_variants(phrase)
        except TriageDataError as exc:
            raise TriageDataError(f"{owner}: field '{field}': {exc}") from None

    def _learn(self, text: str) -> list[str]:
        words = self._learnt.get(text)
        if words is None:
            words = [w for w in text_tokens(text) if w not in MARKS]
            self._known_raw.update(words)
            self._learnt[text] = words
        return words

    def _phrase_variants(self, pattern: str, allow_gaps: bool = True) -> list[tuple[str, ...]]:
        pieces = self._pieces(pattern, allow_gaps)
        out: list[tuple[str, ...]] = []
        seen: set[tuple[str, ...]] = set()
        for combo in itertools.product(*pieces):
            tokens = self._rewrite([t for piece in combo for t in piece])
            if tokens and {tokens[0], tokens[-1]} & {GAP, WIDE_GAP}:
                raise TriageDataError(f"phrase {pattern!r} may not start or end with a gap")
            key = tuple(tokens)
            if key and key not in seen:
                seen.add(key)
                out.append(key)
        if not out:
            raise TriageDataError(f"phrase {pattern!r} has no words")
        return out

    def _pieces(self, pattern: str, allow_gaps: bool) -> list[list[tuple[str, ...]]]:
        """A phrase as a list of pieces, each a list of alternative token sequences (a
        ``{a|b|}`` group, or the words between groups). A group glued to a word
        (``swell{ing|s}``) is expanded as text first."""
        if GROUP_RE.search(pattern) and re.search(r"[^\s{}]\{|\}[^\s{}]", pattern):
            return [[self._words_of(v, pattern, allow_gaps) for v in expand(pattern)]]
        return [[self._words_of(text, pattern, allow_gaps) for text in options]
                for options in groups(pattern)]

    def _words_of(self, text: str, pattern: str, allow_gaps: bool) -> tuple[str, ...]:
        tokens: list[str] = []
        for word in text.split():
            ranged = RANGE_RE.fullmatch(word) if word[0] == "<" else None
            if word == "<num>":
                tokens.append(NUM)
            elif word == "<same>":
                tokens.append(SAME)  # "6/10 at the start and 6/10 now"
            elif ranged is not None:
                low, high = float(ranged.group(1)), float(ranged.group(2))
                if low > high:
                    raise TriageDataError(f"phrase {pattern!r}: empty range {word}")
                tokens.append(f"{NUM_RANGE}{low:g}-{high:g}")
            elif word == "<label>":
                tokens.append(LABEL)  # "Age: 10", "Age - 10"
            elif word == "..." and allow_gaps:
                tokens.append(GAP)
            elif word == "...." and allow_gaps:
                tokens.append(WIDE_GAP)
            elif word == COMMA:
                tokens.append(COMMA)  # a comma as written ("{and|,}", "daughter {,|} 9")
            elif word.startswith("<"):
                raise TriageDataError(f"phrase {pattern!r}: unknown placeholder {word}")
            else:
                tokens.extend(self._learn(word))
        return tuple(tokens)

    def _rewrite(self, tokens: list[str]) -> list[str]:
        if not self._rewrites or self._rewrite_starts.isdisjoint(tokens):
            return tokens
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in self._rewrite_starts:
                out.append(tokens[i])
                i += 1
                continue
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
        if (raw not in self._known_raw and raw not in self._ignore_raw and raw[0].isalpha()
                and raw.isascii()):
            collapsed = collapse(raw)
            known = self._by_collapsed.get(collapsed)
            if known is not None and known not in self._red_flag_words and len(
                    collapsed) >= self.fuzzy_min_length:
                # "loked" is as near "locked" as "looked": the red flag wins
                canon = self._fuzzy(collapsed) or known
            elif known is not None:
                canon = known
            elif len(collapsed) >= self.fuzzy_min_length:
                canon = self._fuzzy(collapsed) or raw
            elif len(collapsed) >= 3:
                canon = self._short(collapsed) or raw
        if len(self._canon_cache) >= _FUZZY_CACHE_LIMIT:
            self._canon_cache.clear()
        self._canon_cache[raw] = canon
        return canon

    def _fuzzy(self, collapsed: str) -> str | None:
        for length in (len(collapsed) - 1, len(collapsed), len(collapsed) + 1):
            for target, raw in self._fuzzy_buckets.get((collapsed[0], length), ()):
                if within_one_edit(collapsed, target):
                    return raw
        return None

    def _short(self, typed: str) -> str | None:
        """A short word read as a short red-flag word with two letters swapped (``cnat``),
        or as a five-letter red-flag word missing one letter (``fevr``)."""
        for word in self._short_fuzzy:
            if swapped(typed, word):
                return word
        if len(typed) == 4:
            for word in self._five_letter_flags:
                if one_missing(typed, word):
                    return word
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

    def _spans(self, root: TrieNode, canons: Sequence[str]) -> list[tuple[str, int, int]]:
        return spans(root, canons, self._gaps, self._number_reader)

    def _find(self, canons: Sequence[str]) -> list[_Match]:
        matches: list[_Match] = []
        for entry, start, end in self._spans(self._trie, canons):
            signal, _, lang = entry.partition("@")
            matches.append(_Match(signal, start, end, lang=lang or "en"))
        return matches

    def _denied_abilities(self, canons: Sequence[str]) -> list[_Match]:
        """An ability asked about and answered no: "Able to walk: no, only 2 steps", "Can you
        put weight on it? No", "Walking - impossible". The question's words are the finding;
        the answer is what makes it one, so the `answer` rule does not negate it."""
        found: list[_Match] = []
        for signal, start, end in self._spans(self._asked, canons):
            if end >= len(canons) or canons[end] not in (QUESTION, LABEL):
                continue
            at = end + 1
            if at + 1 < len(canons) and canons[at] in self._answer_labels and (
                    canons[at + 1] == LABEL):
                at += 2  # "Q: able to walk? A: no"
            size = self._phrase_at(canons, at, self._ability_negatives)
            if size == 0 or self._cancelled(canons, at + size, self._ability_cancel):
                continue
            found.append(_Match(signal, start, end, asked=True))
        return found

    def _drop_unless(self, canons: Sequence[str], matches: list[_Match]) -> list[_Match]:
        found: dict[str, list[tuple[int, int]]] = {}
        for signal in {m.signal for m in matches if m.signal in self._unless}:
            root = self._unless[signal]
            for _sig, start, end in self._spans(root, canons):
                found.setdefault(signal, []).append((start, end))
        return [
            m
            for m in matches
            if not any(s < m.end and m.start < e for s, e in found.get(m.signal, ()))
        ]

    def _drop_contained(self, matches: list[_Match]) -> list[_Match]:
        """Drop a match lying inside a longer match of an at-least-as-serious signal, and
        repeats of one signal over the same words."""
        by_start: dict[int, list[_Match]] = {}
        for m in matches:
            by_start.setdefault(m.start, []).append(m)
        longest = max((m.end - m.start for m in matches), default=0)
        kept: list[_Match] = []
        seen: set[tuple[str, int, int]] = set()
        for m in matches:
            if (m.signal, m.start, m.end) in seen:
                continue
            seen.add((m.signal, m.start, m.end))
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

    def _phrase_at(self, canons: Sequence[str], i: int,
                   phrases: Iterable[tuple[str, ...]]) -> int:
        """The length of the longest of ``phrases`` starting at ``i`` (0 if none)."""
        return max((len(p) for p in phrases if tuple(canons[i : i + len(p)]) == p), default=0)

    def _raw(self, tokens: Sequence[_Token], start: int, end: int) -> str:
        return " ".join(t.raw for t in tokens[start:end] if t.raw not in MARKS)

    def _negations(
        self, tokens: Sequence[_Token], canons: Sequence[str], matches: list[_Match]
    ) -> dict[int, Modifier]:
        """Negated matches (index into ``matches``) and the negation that applies."""
        by_start: dict[int, list[int]] = {}
        covered = [False] * len(canons)
        for index, m in enumerate(matches):
            by_start.setdefault(m.start, []).append(index)
            literal = self._signal_words.get(m.signal, set())
            for k in range(m.start, m.end):
                if canons[k] in literal:  # a negator a "..." skipped still negates
                    covered[k] = True
        negated: dict[int, Modifier] = {}

        # Each language's negators reach that language's findings (English ones any).
        for code, syntax in self._syntaxes.items():
            n = 0
            while n < len(canons):
                token = canons[n]
                size = self._phrase_at(canons, n, syntax.negator_phrases)
                if size == 0 and (token not in syntax.negators or covered[n]):
                    n += 1
                    continue
                size = size or 1
                if self._cancelled(canons, n + size, syntax.cancel):
                    n += size
                    continue  # "not sure if", "don't think": uncertainty, not negation
                if token in self._without and self._cancels_without(canons, n):
                    n += size
                    continue  # "can't run without it swelling"
                modifier = Modifier("negated", "negator", self._raw(tokens, n, n + size))
                scoped = self._negation_scope(canons, n + size, by_start, matches, syntax)
                if size > 1:  # "never had" + "had a knock": a finding that shares its words
                    scoped.update(i for s in range(n + 1, n + size) for i in by_start.get(s, ())
                                  if matches[i].end > n + size)
                for index in scoped:
                    if code == "en" or matches[index].lang == code:
                        negated.setdefault(index, modifier)
                n += size

        for index, m in enumerate(matches):
            if index in negated:
                continue
            inside = self._negated_inside(canons, m)
            if inside is not None:
                negated[index] = Modifier("negated", "inside", tokens[inside].raw)
                continue
            after = self._negated_after(canons, m.end)
            if after is not None:
                negated[index] = Modifier("negated", "resolved", self._raw(tokens, *after))
        for index, modifier in self._answered(tokens, canons, matches).items():
            negated.setdefault(index, modifier)
        return negated

    def _negated_inside(self, canons: Sequence[str], m: _Match) -> int | None:
        """A negator among the words a ``...`` of the phrase skipped: "calf isn't swollen"."""
        literal = self._signal_words.get(m.signal, set())
        own = self._syntaxes.get(m.lang)
        negators = self._negators | (own.negators if own else frozenset())
        cancel = self._negator_cancel | (own.cancel if own else frozenset())
        for k in range(m.start + 1, m.end - 1):
            token = canons[k]
            if token in negators and token not in literal and not self._cancelled(
                    canons, k + 1, cancel):
                return k
        return None

    def _answered(
        self, tokens: Sequence[_Token], canons: Sequence[str], matches: Sequence[_Match]
    ) -> dict[int, Modifier]:
        """Findings asked about and answered no: "Swelling? Nope.", "swelling - none"."""
        out: dict[int, Modifier] = {}
        for q, token in enumerate(canons):
            if token not in (QUESTION, LABEL):
                continue
            at = q + 1
            if at + 1 < len(canons) and canons[at] in self._answer_labels and (
                    canons[at + 1] == LABEL):
                at += 2  # "Q: swelling? A: none"
            size = self._phrase_at(canons, at, self._answer_negatives)
            if size == 0:
                continue
            if self._cancelled(canons, at + size, self._negator_cancel):
                continue
            start = q
            while start > 0 and canons[start - 1] not in (SENTENCE_END, QUESTION, LABEL):
                start -= 1
            asked = [i for i, m in enumerate(matches)
                     if start <= m.start and m.end <= q and not m.asked]
            end = at + size
            while end < len(canons) and canons[end] not in MARKS:
                end += 1
            asked_signals = {matches[i].signal for i in asked}
            if any(at + size <= m.start < end and m.signal not in asked_signals
                   for m in matches):
                # the negative heads a finding of its own in its clause ("...gonna go?
                # never actually fallen"): not an answer to the question
                continue
            modifier = Modifier("negated", "answer", self._raw(tokens, at, at + size))
            for index in asked:
                out[index] = modifier
        # A list answered in place, without a mark between: "swelling no, locking no".
        for index, m in enumerate(matches):
            if m.asked or index in out:
                continue
            size = self._phrase_at(canons, m.end, self._answer_negatives)
            after = m.end + size
            if size and (after == len(canons) or canons[after] in MARKS):
                out[index] = Modifier("negated", "answer", self._raw(tokens, m.end, after))
        return out

    @staticmethod
    def _cancelled(canons: Sequence[str], k: int, cancel: frozenset[str]) -> bool:
        """One of the two words from ``k`` on, in the same sentence, turns a negation into
        uncertainty ("not sure", "don't think"); "Locking? Nope. Just sore" is still no."""
        for token in canons[k : k + 2]:
            if token in ENDS:
                return False
            if token in cancel:
                return True
        return False

    def _cancels_without(self, canons: Sequence[str], n: int) -> bool:
        k = n - 1
        while k >= 0 and canons[k] not in ENDS:
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
        syntax: _Syntax,
    ) -> set[int]:
        """Matches negated by a negator just before ``i``: the first item after a few
        fillers, then every item of a list joined by or/and/nor/commas (the words of
        ``syntax``, the negator's language)."""
        scoped: set[int] = set()
        state = "pre"
        fillers = 0
        stop = min(len(canons), i + syntax.max_scope)
        while i < stop:
            token = canons[i]
            starting = by_start.get(i, [])
            if state == "after_joiner" and token in syntax.clause_starters:
                break  # "no swelling, it gives way": a new clause, not a list item
            if starting and state != "after_item":
                end = max(matches[idx].end for idx in starting)
                for s in range(i, end):
                    scoped.update(by_start.get(s, ()))
                i = end
                state = "after_item"
                continue
            if state == "pre":
                if token in syntax.generic_items:
                    state = "after_item"
                elif token in syntax.pre_fillers and fillers < syntax.max_pre_fillers:
                    fillers += 1
                else:
                    break
            elif state == "after_item":
                if token not in syntax.joiners:
                    break
                state = "after_joiner"
                fillers = 0
            elif token in syntax.generic_items:  # after a joiner
                state = "after_item"
            elif token in syntax.joiners:  # ", or"
                pass
            elif token in syntax.list_fillers and fillers < 2:
                fillers += 1
            else:
                break
            i += 1
        return scoped

    def _negated_after(self, canons: Sequence[str], end: int) -> tuple[int, int] | None:
        """``<item> has gone down`` / ``is gone``, unless the sentence says it comes back;
        the span of the words that say so."""
        i = end
        skipped = 0
        while i < len(canons) and canons[i] in self._post_fillers and skipped < 3:
            i += 1
            skipped += 1
        if i >= len(canons):
            return None
        size = self._phrase_at(canons, i, self._post_negators)
        if size == 0 or self._recurs(canons, i):
            return None
        return (i, i + size)

    def _recurs(self, canons: Sequence[str], i: int) -> bool:
        """True if the sentence around position ``i`` says it comes back."""
        k = i
        while k > 0 and canons[k - 1] not in ENDS:
            k -= 1
        denied = -1  # "it never did it again": the end of a denial, whose "again" is not one
        while k < len(canons) and canons[k] not in ENDS:
            size = self._phrase_at(canons, k, self._not_recurring)
            if size:
                denied = max(denied, k + size)
            if k >= denied and self._starts_with(canons, k, self._recurrence):
                return True
            k += 1
        return False

    # ------------------------------------------------------------------ public

    def observed(self, observe: Callable[[str | None], None]) -> Screener:
        """This screener (its compiled rules shared, never rebuilt) also calling ``observe``
        with the level of every text it screens; this one is left as it was."""
        twin = copy.copy(self)
        twin.observers = [*self.observers, observe]
        return twin

    def screen(self, text: str) -> ScreenResult:
        """Screen ``text`` (only its first ``max_chars`` characters) for signals."""
        result = self._screen(text)
        for observe in self.observers:
            observe(result.level)
        return result

    def _screen(self, text: str) -> ScreenResult:
        if not text:
            return ScreenResult()
        tokens = self._tokenise(text)
        canons = [t.canon for t in tokens]
        matches = self._find(canons) + self._denied_abilities(canons)
        if not matches:
            return ScreenResult()
        matches = sorted(self._drop_contained(self._drop_unless(canons, matches)),
                         key=lambda m: (m.start, m.end))
        modifiers: dict[int, list[Modifier]] = {
            index: [modifier] for index, modifier in
            self._negations(tokens, canons, matches).items()
        }
        located = [(m.signal, m.start, m.end) for m in matches]
        for index, extra in self.context.modifiers(
            canons, lambda a, b: self._raw(tokens, a, b), located,
            lambda root: self._spans(root, canons), lambda i: self._recurs(canons, i),
        ).items():
            bucket = modifiers.setdefault(index, [])
            bucket.extend(f for f in extra if all(b.kind != f.kind for b in bucket))
        findings: list[Finding] = []
        for index, m in enumerate(matches):
            mods = tuple(modifiers.get(index, ()))
            spec = self.signals[m.signal]
            counted = not any(mod.kind in SUPPRESSING and (
                mod.kind not in spec.keep or mod.rule in spec.keep_unless) for mod in mods)
            findings.append(Finding(m.signal, self._raw(tokens, m.start, m.end), mods, counted,
                                    m.lang))
        kept = [f for f in findings if f.counted]
        present = {f.signal for f in kept}
        derived = self.derive(present)
        signals = self.order(present | set(derived))
        level = self.level_of(signals)
        pairs = {(f.signal, f.words): None for f in kept}
        return ScreenResult(signals=tuple(signals), level=level, matches=tuple(pairs),
                            findings=tuple(findings), derived=tuple(derived))

    def derive(self, signals: Iterable[str]) -> list[str]:
        """Signals the ``derive`` rules add to ``signals`` (in precedence order)."""
        fired = set(signals)
        added: set[str] = set()
        for rule in self._derive_rules:
            if rule.signal in fired:
                continue
            if (rule.all <= fired and (not rule.any or rule.any & fired)
                    and not rule.none & fired):
                added.add(rule.signal)
        return self.order(added)

    def level_of(self, signals: Iterable[str]) -> str | None:
        """The most serious alarm level among ``signals``, or None."""
        levels = {self.signals[s].level for s in signals}
        return next((lvl for lvl in ALARM_LEVELS if lvl in levels), None)

    def order(self, signals: Iterable[str]) -> list[str]:
        """Distinct ``signals`` in precedence order; an unknown id raises ``KeyError``."""
        unique = set(signals)
        for signal in unique:
            if signal not in self.signals:
                raise KeyError(f"unknown signal id {signal!r}")
        return sorted(unique, key=self._signal_rank.__getitem__)

    def detect_language(self, text: str) -> str:
        """The language ``text`` is written in: ``en``, a code of ``languages`` (by its
        stop words), or ``other`` for a text mostly in a script that is not Latin. Short or
        mixed texts count as English: only more of another language's stop words than of
        English ones, and at least ``min_stopwords`` of them, make a text that language."""
        letters = [ch for ch in text[: self.max_chars] if ch.isalpha()]
        if letters:
            latin = sum(1 for ch in letters if ch.isascii() or "LATIN" in unicodedata.name(
                ch, ""))
            if latin * 2 < len(letters):
                return "other"
        words = [w for w in normalise(text, self.max_chars) if w not in MARKS]
        counts = {code: sum(1 for w in words if w in stop)
                  for code, stop in self.languages.items()}
        english = counts.pop("en", 0)
        if not counts:
            return "en"
        best = max(counts, key=lambda code: counts[code])
        if counts[best] >= self._min_hits and counts[best] > english:
            return best
        return "en"
