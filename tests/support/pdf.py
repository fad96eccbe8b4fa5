"""Reading back the text of a one-page PDF (the clinician's summary)."""

from __future__ import annotations

import io

import pypdf


class PageText(str):
    """A PDF page's text with every space removed (text extraction splits some words where
    the font's kerning moves a letter): ``in`` compares without spaces too."""

    def __contains__(self, needle: object) -> bool:
        return isinstance(needle, str) and "".join(needle.split()) in str(self)


def pdf_text(data: bytes) -> PageText:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return PageText("".join((reader.pages[0].extract_text() or "").split()))
