"""What adapters may call on the engine: the coach port."""

from __future__ import annotations

from typing import Protocol

from bot.engine.events import ConversationRef, Inbound, Reply


class CoachPort(Protocol):
    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """Handle one inbound event from one person; return the replies, in order."""
        ...

    def text(self, key: str, **values: object) -> str:
        """A UI string from content/messages.yaml, for adapter chrome (menus, notes)."""
        ...

    def command_menu(self) -> list[tuple[str, str]]:
        """(command, short description) pairs for the platform's commands menu."""
        ...
