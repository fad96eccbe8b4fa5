"""A test client that talks to the coach the way a person does: send text, press buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.coach import Coach
from bot.engine.events import Command, ConversationRef, Inbound, Press, Reply, Text


@dataclass
class CoachClient:
    coach: Coach
    user_id: str = "runner-1"
    platform: str = "console"
    shared: bool = False
    history: list[Reply] = field(default_factory=list)
    last: list[Reply] = field(default_factory=list)

    @property
    def ref(self) -> ConversationRef:
        return ConversationRef(self.platform, self.user_id, f"chat-{self.user_id}", self.shared)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.last = await self.coach.handle(self.ref, inbound)
        self.history.extend(self.last)
        return self.last

    async def send(self, text: str) -> list[Reply]:
        if text.startswith("/") and len(text) > 1 and " " not in text.split("\n")[0][:1]:
            name, _, args = text[1:].partition(" ")
            return await self.handle(Command(name.lower(), args.strip()))
        return await self.handle(Text(text))

    async def type(self, text: str) -> list[Reply]:
        """Always free text, even if it starts with a slash."""
        return await self.handle(Text(text))

    def button(self, label: str) -> str:
        """The data of the newest button with this label (exact, or a unique prefix)."""
        for reply in reversed(self.history):
            buttons = [b for row in reply.buttons for b in row]
            exact = [b for b in buttons if b.label == label or b.label == f"✓ {label}"]
            if exact:
                return exact[0].data
            prefix = [b for b in buttons if b.label.lstrip("✓ ").startswith(label)]
            if len(prefix) == 1:
                return prefix[0].data
        labels = [b.label for r in self.history[-3:] for row in r.buttons for b in row]
        raise AssertionError(f"no button {label!r}; recent buttons: {labels}")

    async def press(self, label: str) -> list[Reply]:
        return await self.handle(Press(self.button(label)))

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.last]

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.last)

    def labels(self) -> list[str]:
        return [b.label for r in self.last for row in r.buttons for b in row]
