"""A test client that talks to the coach the way a person does: send text, press buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.events import Command, ConversationRef, Inbound, Press, Reply, Text
from bot.engine.coach import Coach


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
        """The keys of what the last turn said, a message's folded keys before its own."""
        return [key for r in self.last for key in r.keys]

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.last)

    def labels(self) -> list[str]:
        return [b.label for r in self.last for row in r.buttons for b in row]


RUNNERS_KNEE = [
    "Behind or around the kneecap",
    "Left",
    "2 to 6 weeks",
    "Yes",  # worse down stairs
    "Yes",  # worse downhill
    "Yes",  # squatting or sitting
    "No",  # swelling
    "No",  # locking, catching, giving way
    "No",  # injury
    "No",  # surgery
    "No",  # night pain
    "No",  # hot, red, fever
    "about 25",
]


async def enrol(
    client: CoachClient,
    story: str = "skip",
    at: str = "07:30",
    zone: str = "Europe/London",
    race: str = "No race planned",
    equipment: tuple[str, str, str] = ("No", "No", "No"),
    minutes: str = "About 20 minutes",
    function: tuple[str, ...] = ("Some difficulty",) * 5,
) -> None:
    """The whole intake of a runner with typical runner's knee, then the programme: which
    equipment they have (band, weights, step), their minutes for strength work, and the
    function check at the start, which ends with the first session."""
    await client.send("/start")
    await client.press("I agree")
    await client.press("18 or over")
    await client.send(story)
    for label in [*RUNNERS_KNEE, race]:
        await client.press(label)
    await client.press("Yes, let's start")
    await client.send(at)
    await client.send(zone)
    assert client.keys[-1] == "intake.ask.strength_days", client.keys
    await client.press("Mon, Wed, Fri")
    for answer in equipment:
        await client.press(answer)
    assert client.keys[-1] == "intake.ask.minutes", client.keys
    await client.press(minutes)
    assert client.keys[0] == "programme.started", client.keys
    for answer in function:
        await client.press(answer)
    assert client.keys[0] == "function.baseline", client.keys
    assert client.keys[-1] == "today.session", client.keys
