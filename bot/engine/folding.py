"""Fewer messages per turn: what the coach says right before a question goes in the
question's own message, and the only answer to a press may take the pressed message's place.

Every message is a call to the platform (and a notification on the person's phone), so a
turn that says something and then asks says it in one message where that is safe:

* ``fold``: a reply immediately followed, in the same turn, by a question (``Reply.asks``)
  goes into the question's message: its text first, a blank line, the question's text; its
  buttons (the session card's "How:" buttons) above the question's. The question keeps its
  key; the folded keys are kept in order in ``Reply.parts``. Folded repeatedly, so several
  short texts before a question become one message, as long as everything fits.
* ``join_pressed``: when the replies to a press are exactly one question (no attachment,
  nothing else) and the press was taken as an answer (``Reply.chosen``), the reply is marked
  ``joins_pressed``: a door that can edit may show it in the pressed message itself, under
  the choice, with its buttons (docs/DESIGN.md, "Fewer calls per message").

Never folded: a reply with an attachment (a file has its own caption limit and layout), a
question into an earlier one, replies of different ``private`` (a public and a private reply
never share a message), a reply that replaces the pressed message, an ephemeral reply, a red
flag's safety answer (``Reply.alone``: it stands on its own, never as a question's preamble),
an empty text, and anything whose text or rows of buttons would not fit the narrowest
platform (``Layout.max_text``, ``Layout.max_rows``). Shared channels (the club) are never
folded: the coach folds private turns and personal reminders only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.domain.events import Reply
from bot.engine.layout import Layout

PARAGRAPH = "\n\n"


def fold(replies: Sequence[Reply], layout: Layout) -> list[Reply]:
    """``replies`` with each reply that comes right before a question folded into it."""
    out: list[Reply] = []
    for reply in replies:
        if reply.asks is not None:
            while out and foldable(out[-1], reply, layout):
                reply = merged(out.pop(), reply)
        out.append(reply)
    return out


def foldable(before: Reply, question: Reply, layout: Layout) -> bool:
    """Whether ``before`` may go into the message of ``question``, which follows it."""
    if question.asks is None or before.asks is not None:
        return False
    if before.alone or question.alone or before.attachment is not None \
            or question.attachment is not None:
        return False
    if before.private != question.private:
        return False
    if before.replaces_pressed or question.replaces_pressed or before.ephemeral \
            or question.ephemeral or before.joins_pressed or question.joins_pressed:
        return False
    if not before.text.strip() or not question.text.strip():
        return False
    if before.buttons and len(before.buttons) + len(question.buttons) > layout.max_rows:
        return False  # (a question's own rows are laid out by each door as they are)
    return len(before.text) + len(PARAGRAPH) + len(question.text) <= layout.max_text


def merged(before: Reply, question: Reply) -> Reply:
    """One message: ``before``'s text and buttons, then the question's."""
    return dataclasses.replace(
        question,
        text=before.text + PARAGRAPH + question.text,
        buttons=before.buttons + question.buttons,
        chosen=before.chosen if before.chosen is not None else question.chosen,
        typed_answer=(before.typed_answer if before.typed_answer is not None
                      else question.typed_answer),
        parts=(*before.parts, before.key, *question.parts),
    )


def join_pressed(replies: Sequence[Reply]) -> list[Reply]:
    """The replies to a press, the only one marked ``joins_pressed`` when it is a question
    that answers the press (``chosen``) and may take the pressed message's place."""
    if len(replies) != 1:
        return list(replies)
    (reply,) = replies
    if (reply.asks is None or reply.chosen is None or reply.attachment is not None
            or reply.replaces_pressed or reply.ephemeral or reply.alone
            or not reply.text.strip()):
        return [reply]
    return [dataclasses.replace(reply, joins_pressed=True)]
