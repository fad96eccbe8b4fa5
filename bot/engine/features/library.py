"""The exercise and education library: /exercise NAME, /learn TOPIC and their buttons.

An exercise is shown with its picture (an animation of the movement; a still where none
plays) and its steps as the caption: from /exercise NAME, from the session's "How:" buttons
and from the daily prompt's (all of them press ``a:ex:<id>``). The pictures come from the
``PictureLibrary``, drawn once and cached.
"""

from __future__ import annotations

from bot.engine.feature import Registry
from bot.engine.session import Session
from bot.pictures.library import PictureLibrary

TEXTS = {
    "menus.exercises": (),
    "menus.exercises_unknown": (),
    "menus.topics": (),
    "menus.topics_unknown": (),
}


class Library:
    name = "library"

    def __init__(self, pictures: PictureLibrary | None = None) -> None:
        self.pictures = pictures

    async def show(self, session: Session, exercise_id: str) -> None:
        pictures = await self.pictures.exercise(exercise_id) if self.pictures else None
        for reply in session.book.exercise_replies(exercise_id, pictures,
                                                   await self.side(session)):
            session.add(reply)

    def register(self, registry: Registry) -> None:
        registry.command("exercise", self.exercise, menu=True)
        registry.command("learn", self.learn, menu=True)
        registry.press("ex", self.press_exercise)
        registry.press("learn", self.press_learn)
        registry.texts(TEXTS)

    async def exercise(self, session: Session, args: str) -> None:
        if await self._held(session):
            return
        exercise = session.content.find_exercise(args) if args else None
        if exercise is None:
            session.add(session.book.exercise_menu(unknown=bool(args)))
            return
        await self.show(session, exercise.id)

    async def press_exercise(self, session: Session, arg: str) -> None:
        if await self._held(session):
            return
        if arg in session.content.exercises:
            await self.show(session, arg)
        else:
            session.stale()

    @staticmethod
    async def _held(session: Session) -> bool:
        """Exercises wait while the knee is held for a clinician (an urgent or
        see-a-clinician outcome or red flag, until "a clinician has checked it"); the guides
        of /learn stay open, and so do the exercises for anyone not held."""
        if await session.users.on_clinician_hold(session.user.id):
            session.add(session.book.hold_reply())
            return True
        return False

    @staticmethod
    async def side(session: Session) -> str | None:
        """Which knee the intake said (left, right, both), for the steps' "{knee}"."""
        if session.user.consent_at is None:
            return None
        side = (await session.users.answers(session.user.id)).get("side")
        return str(side) if side else None

    async def learn(self, session: Session, args: str) -> None:
        topic = session.content.find_topic(args) if args else None
        if topic is None:
            session.add(session.book.topic_menu(unknown=bool(args)))
            return
        session.add(session.book.topic_reply(topic.id))

    async def press_learn(self, session: Session, arg: str) -> None:
        if arg in session.content.education:
            session.add(session.book.topic_reply(arg))
        else:
            session.stale()
