"""The shipped content bundle, loaded once for the whole test run (tests only read it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.assembly import open_coach
from bot.check import Checked
from bot.content import Bundle, Content, load_bundle
from bot.content.texts import Texts
from bot.domain.clock import Clock
from bot.engine.coach import Coach
from bot.engine.triage import Triage
from bot.pictures.library import PictureLibrary


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


@cache
def shipped_pictures() -> PictureLibrary:
    """The shipped exercises' pictures, drawn at most once for the whole run (in memory)."""
    return PictureLibrary(shipped_bundle().poses)


def shipped_checked() -> Checked:
    """The shipped content and its rules, compiled once for the whole run (as ``kneecoach
    run`` gets them from its checks)."""
    return Checked(shipped_bundle(), shipped_triage().screener)


async def open_test_coach(
    db_path: str | Path, clock: Clock | None = None, bundle: Bundle | None = None
) -> Coach:
    """A coach on the shipped content whose rules are compiled once for the whole run."""
    if bundle is not None and bundle is not shipped_bundle():
        return await open_coach(db_path, clock=clock, bundle=bundle)
    return await open_coach(db_path, clock=clock, bundle=shipped_bundle(),
                            screener=shipped_triage().screener, pictures=shipped_pictures())
