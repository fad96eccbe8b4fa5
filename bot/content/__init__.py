"""Kneecoach's content: every file in ``content/`` and ``dialogs/``, loaded once into one
frozen ``Bundle`` (see ``bot/content/bundle.py`` for the layout)."""

from bot.content.bundle import (
    DEFAULT_LOCALE,
    Bundle,
    TextLimits,
    check_bundle,
    default_content_root,
    default_dialogs_root,
    load_bundle,
)
from bot.content.errors import ContentError
from bot.content.locale import Content

__all__ = [
    "DEFAULT_LOCALE",
    "Bundle",
    "Content",
    "ContentError",
    "TextLimits",
    "check_bundle",
    "default_content_root",
    "default_dialogs_root",
    "load_bundle",
]
