"""Our context rules against medspaCy's ConText on the sentences the safety-net issue lists
(``python -m bench.context_compare``; medspaCy is not a dependency: run it where
``pip install medspacy`` has been done, with this repository on the path).

Each sentence has one finding about which the right answer is known: it must not count
(negated, historical, someone else's, hypothetical) or must count (uncertain, or plainly
there). medspaCy gets the finding as a target rule (its words) and its default ConText
rules; a finding it marks negated, historical, family or hypothetical does not count.
Ours is the screener's finding for the same words."""

from __future__ import annotations

import sys
import time

# (sentence, the finding's words as medspaCy tokenises them, counts?)
SENTENCES: list[tuple[str, str, bool]] = [
    ("calf isn't swollen", "swollen", False),
    ("the calf is not hot or swollen", "swollen", False),
    ("calf fine, no swelling in the calf", "swelling", False),
    ("I didn't fall or twist it", "twist", False),
    ("Swelling? Nope. Redness? Nope.", "swelling", False),
    ("swelling - none", "swelling", False),
    ("wouldn't call it swollen", "swollen", False),
    ("at no point has the knee swelled, locked or buckled", "locked", False),
    ("no swelling, locking or giving way", "giving way", False),
    ("the swelling I had last year is long gone", "swelling", False),
    ("had a swollen knee 2 yrs ago after a fall but thats long sorted", "swollen", False),
    ("my friend said it might be swelling but it looks normal", "swelling", False),
    ("my mum had knee surgery", "surgery", False),
    ("a friend from my club had a knee that ballooned; mine never has", "ballooned", False),
    ("no history of cancer", "cancer", False),
    ("what if it locks up mid run?", "locks", False),
    ("Should I worry if it ever starts to give way or swell up?", "give way", False),
    ("not sure if it is swollen", "swollen", True),
    ("my knee swells after long runs", "swells", True),
    ("no pain at rest, but it swells after runs", "swells", True),
]


def medspacy_counts() -> tuple[list[bool], float]:
    import medspacy
    from medspacy.ner import TargetRule

    start = time.perf_counter()
    nlp = medspacy.load()
    loaded = time.perf_counter() - start
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add([TargetRule(words, "FINDING") for words in {w for _, w, _ in SENTENCES}])
    out: list[bool] = []
    for text, words, _ in SENTENCES:
        doc = nlp(text)
        found = [e for e in doc.ents if e.text.lower() == words]
        if not found:
            out.append(True)  # not even found: nothing marks it, it would count
            continue
        ent = found[0]
        out.append(not (ent._.is_negated or ent._.is_historical or ent._.is_family
                        or ent._.is_hypothetical))
    return out, loaded


def our_counts() -> list[bool]:
    from bot.content import load_bundle
    from bot.engine.screener import Screener

    screener = Screener(load_bundle().rules)
    out: list[bool] = []
    for text, words, _ in SENTENCES:
        findings = screener.screen(text).findings
        first = words.split()[0]
        mine = [f for f in findings if first in f.words.split()]
        out.append(any(f.counted for f in mine) if mine else True)
    return out


def main() -> int:
    want = [counts for _, _, counts in SENTENCES]
    ours = our_counts()
    print(f"ours: {sum(a == b for a, b in zip(ours, want, strict=True))}/{len(want)} right")
    try:
        theirs, loaded = medspacy_counts()
    except ImportError:
        print("medspaCy is not installed here")
        return 0
    right = sum(a == b for a, b in zip(theirs, want, strict=True))
    print(f"medspaCy ConText (default rules): {right}/{len(want)} right, loaded in {loaded:.1f} s")
    for (text, _, counts), got in zip(SENTENCES, theirs, strict=True):
        if got != counts:
            print(f"  medspaCy wrong: {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
