"""The shipped content bundle, loaded once for the whole test run (tests only read it)."""

from __future__ import annotations

from functools import cache

from bot.content import Bundle, Content, load_bundle
from bot.content.texts import Texts
from bot.engine.triage import Triage


@cache
def shipped_bundle() -> Bundle:
    return load_bundle()


def shipped_content() -> Content:
    return shipped_bundle().content()


def shipped_texts() -> Texts:
    return shipped_content().texts


@cache
def shipped_triage() -> Triage:
    bundle = shipped_bundle()
    return Triage(bundle.rules, bundle.content().triage)
