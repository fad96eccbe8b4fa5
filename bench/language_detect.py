"""Which language is a message in? The screener's stop-word test against libraries, on
short texts a runner types (``python -m bench.language_detect [--libraries]``).

Samples: the non-English cases of the blind sets, short foreign sentences written for this
benchmark, and English: the English blind cases and the short answers people type to the
coach's questions ("yes", "28", "not sure", "about 25"). A text is scored right when the
detector's answer, folded to en / es / de / fr / it / pt / other, is the expected one. With
``--libraries`` the libraries found in this interpreter are measured too (install them in a
scratch environment: langdetect, py3langid, lingua-language-detector)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.triage_blind import load_cases

FIVE = ("es", "de", "fr", "it", "pt")
SHORT_ENGLISH = [
    "yes", "no", "y", "n", "nope", "yep", "28", "15", "fifteen", "not sure", "dunno", "left",
    "right", "both", "about 25", "20 km", "5 weeks", "kneecap", "skip", "Done ✅", "07:30",
    "London", "mon wed fri", "I agree", "no thanks", "it isn't swollen", "a bit better",
    "much better", "2 - no swelling", "7/10", "si", "ok", "sure", "none", "maybe",
    "it hurts going down stairs", "my knee gives way", "heard a pop",
]
SHORT_FOREIGN = [
    ("me duele la rodilla", "es"), ("tengo fiebre", "es"), ("no puedo caminar", "es"),
    ("mein Knie tut weh", "de"), ("ich habe Fieber", "de"), ("das Knie ist dick", "de"),
    ("j'ai mal au genou", "fr"), ("mon genou est gonflé", "fr"), ("je ne peux pas marcher", "fr"),
    ("mi fa male il ginocchio", "it"), ("ho la febbre", "it"), ("non riesco a camminare", "it"),
    ("meu joelho dói", "pt"), ("estou com febre", "pt"), ("não consigo andar", "pt"),
    ("Мое колено болит", "other"), ("膝が痛い", "other"), ("ركبتي تؤلمني", "other"),
    ("Το γόνατό μου πονάει", "other"), ("무릎이 아파요", "other"),
]


def samples(files: Sequence[Path]) -> list[tuple[str, str]]:
    cases = load_cases(files)
    out = [(str(c["text"]), str(c.get("lang", "en"))) for c in cases]
    out += [(t, "en") for t in SHORT_ENGLISH]
    out += SHORT_FOREIGN
    return [(t, lang if lang in (*FIVE, "en") else "other") for t, lang in out]


def folded(code: str | None) -> str:
    if code is None:
        return "en"  # no answer: treated as English, as the coach would
    code = code.lower()[:2]
    return code if code in (*FIVE, "en") else "other"


def stopwords() -> Callable[[str], str]:
    from bot.content import load_bundle
    from bot.engine.screener import Screener

    screener = Screener(load_bundle().rules)
    return screener.detect_language


def libraries() -> dict[str, Callable[[], Callable[[str], str]]]:
    def langdetect_() -> Callable[[str], str]:
        from langdetect import DetectorFactory, detect

        DetectorFactory.seed = 0

        def run(text: str) -> str:
            try:
                return folded(detect(text))
            except Exception:  # no features in the text
                return "en"

        return run

    def py3langid_() -> Callable[[str], str]:
        import py3langid

        return lambda text: folded(py3langid.classify(text)[0])

    def lingua_all() -> Callable[[str], str]:
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().build()

        def run(text: str) -> str:
            found = detector.detect_language_of(text)
            return folded(found.iso_code_639_1.name if found else None)

        return run

    def lingua_six() -> Callable[[str], str]:
        from lingua import Language, LanguageDetectorBuilder

        langs = [Language.ENGLISH, Language.SPANISH, Language.GERMAN, Language.FRENCH,
                 Language.ITALIAN, Language.PORTUGUESE]
        detector = LanguageDetectorBuilder.from_languages(*langs).build()

        def run(text: str) -> str:
            if sum(1 for ch in text if ch.isalpha() and not ch.isascii()
                   and "LATIN" not in __import__("unicodedata").name(ch, "")) * 2 > \
                    sum(1 for ch in text if ch.isalpha()):
                return "other"
            found = detector.detect_language_of(text)
            return folded(found.iso_code_639_1.name if found else None)

        return run

    return {"langdetect 1.0.9": langdetect_, "py3langid 0.4": py3langid_,
            "lingua 2 (all languages)": lingua_all,
            "lingua 2 (these six + script check)": lingua_six}


def measure(name: str, build: Callable[[], Callable[[str], str]],
            data: list[tuple[str, str]]) -> str:
    start = time.perf_counter()
    detect = build()
    detect("warm up")
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    got = [detect(text) for text, _ in data]
    per = (time.perf_counter() - start) / len(data) * 1000
    right = sum(g == want for g, (_, want) in zip(got, data, strict=True))
    short = [(g, w) for g, (t, w) in zip(got, data, strict=True) if len(t.split()) <= 4]
    short_right = sum(g == w for g, w in short)
    english = [(g, w) for g, (_, w) in zip(got, data, strict=True) if w == "en"]
    english_wrong = sum(g != "en" for g, _ in english)
    return (f"| {name} | {right}/{len(data)} ({100 * right / len(data):.0f}%) | "
            f"{short_right}/{len(short)} | {english_wrong} | {loaded:.2f} s | {per:.2f} ms |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.language_detect")
    parser.add_argument("files", nargs="*", type=Path,
                        default=sorted((Path(__file__).parents[1] / "tests" / "blind")
                                       .glob("set_*.yaml")))
    parser.add_argument("--libraries", action="store_true")
    args = parser.parse_args(argv)
    data = samples(args.files)
    print(f"{len(data)} texts ({sum(w != 'en' for _, w in data)} not English)\n")
    print("| detector | right | right, 4 words or fewer | English called foreign | load"
          " | per text |")
    print("|---|---:|---:|---:|---:|---:|")
    print(measure("stop words (content/triage.yaml)", stopwords, data))
    if args.libraries:
        for name, build in libraries().items():
            try:
                print(measure(name, build, data))
            except ImportError as exc:
                print(f"| {name} | not installed ({exc.name}) | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
