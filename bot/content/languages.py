"""What the coach says to a message in a language it does not speak
(``content/languages.yaml``): that it understands English only and when to get medical help
at once, per language, and the same for an urgent message. ``other`` is used for any other
language or script."""

from __future__ import annotations

from typing import Annotated

from pydantic import RootModel, model_validator

from bot.content.models import Model, NonEmptyStr, text

OTHER = "other"


class LanguageNotice(Model):
    name: NonEmptyStr
    not_a_diagnosis: NonEmptyStr
    english_only: Annotated[str, text(1499)]
    urgent: Annotated[str, text(1499)]

    @model_validator(mode="after")
    def _says_not_a_diagnosis(self) -> LanguageNotice:
        words = self.not_a_diagnosis.casefold()
        for name in ("english_only", "urgent"):
            if words not in " ".join(getattr(self, name).split()).casefold():
                raise ValueError(f"{name} must contain its not_a_diagnosis words "
                                 f"{self.not_a_diagnosis!r}")
        return self


class LanguageNotices(RootModel[dict[str, LanguageNotice]]):
    """Language code -> its notices; ``other`` must be there."""

    @model_validator(mode="after")
    def _has_other(self) -> LanguageNotices:
        if OTHER not in self.root:
            raise ValueError(f"needs an entry '{OTHER}' for any other language")
        return self

    def notice(self, code: str) -> LanguageNotice:
        """The notices for ``code``, or the ``other`` ones."""
        return self.root.get(code) or self.root[OTHER]
