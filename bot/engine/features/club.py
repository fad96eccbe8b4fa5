"""Running clubs: a daily prehab post in a shared channel that members tick off together.

No health data is involved: a press records only that a member did the routine that day.
Members are counted, never named, unless they opt in to the streak leaderboard.

Commands arrive from a shared channel as typed ``ClubCommand`` events.

Permissions: setup names the channel and is refused, saying why, when the platform reports
that the bot may not view or send there. The admin who set the post up is remembered: when
the platform later refuses a post for lack of permission (``NotPermitted``), they are told
privately (a message to their private chat through the outbox, never in the channel); after
``MAX_REFUSED`` refused posts in a row the post is switched off and they are told that. A
post that goes out starts the count again.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.content import Bundle
from bot.domain.clock import Clock
from bot.domain.events import Button, ClubCommand, ConversationRef, Inbound, Press, Reply
from bot.domain.localtime import local_date, next_occurrence, parse_local_time
from bot.domain.records import Club as ClubRecord
from bot.domain.results import NotPermitted, SendResult, Sent
from bot.domain.zones import parse_zone, zone_from_name
from bot.engine.feature import Registry
from bot.engine.ports import Delivery
from bot.engine.textbook import TextBook
from bot.store.clubs import ClubStore
from bot.store.outbox import OutboxStore

WEEKLY_DAY = 6  # the weekly summary goes out on Sundays, at the club's time
MAX_NAME = 40  # characters of a leaderboard display name that are kept
MAX_REFUSED = 3  # posts in a row the platform may refuse before the post is switched off
# What the admin who set the post up is told, privately (outbox kinds).
REFUSED = "club_refused"
SWITCHED_OFF = "club_switched_off"


TEXTS = {
    "club.daily_title": (),
    "club.counter": ("count",),
    "club.counter_one": (),
    "club.thanks": (),
    "club.already_done": (),
    "club.post_closed": (),
    "club.weekly": ("done", "members"),
    "club.leaderboard_title": (),
    "club.leaderboard_line": ("rank", "name", "streak"),
    "club.anonymous": (),
    "club.leaderboard_on": (),
    "club.leaderboard_off": (),
    "club.denied": (),
    "club.setup_usage": (),
    "club.bad_time": (),
    "club.bad_zone": (),
    "club.setup_done": ("channel", "time", "zone", "first"),
    "club.off": (),
    "club.not_set_up": (),
    "club_admin.cannot_post": ("channel",),
    "club_admin.post_refused": ("channel", "limit"),
    "club_admin.switched_off": ("channel", "limit"),
    "buttons.club_done": (),
    "input.stale": (),
}


class Club:
    """Club posts are shared: they use the bundle's default language and no personal data."""

    name = "club"

    def __init__(
        self, bundle: Bundle, clubs: ClubStore, book: TextBook, clock: Clock,
        outbox: OutboxStore,
    ) -> None:
        self.bundle = bundle
        self.clubs = clubs
        self.book = book
        self.clock = clock
        self.outbox = outbox
        self.messages = bundle.content().texts

    def register(self, registry: Registry) -> None:
        registry.shared(self.handle)
        registry.target_reminder("club_daily", self.compose_daily)
        registry.target_reminder("club_weekly", self.compose_weekly)
        registry.outcome("club_daily", self.settle_post)
        registry.outcome("club_weekly", self.settle_post)
        registry.target_reminder(REFUSED, self.compose_refused)
        registry.target_reminder(SWITCHED_OFF, self.compose_switched_off)
        registry.texts(TEXTS)

    def _reply(self, key: str, **values: object) -> Reply:
        return Reply(key=key, text=self.messages.get(key, **values), private=False)

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply] | None:
        """Club traffic in a shared channel; None when it is not club business."""
        if isinstance(inbound, ClubCommand):
            return await self._command(ref, inbound)
        if isinstance(inbound, Press) and inbound.data.startswith("a:club:"):
            return await self._done(ref, inbound.data)
        return None

    async def _command(self, ref: ConversationRef, command: ClubCommand) -> list[Reply]:
        verb = command.action
        now = self.clock.now()
        if verb == "denied":
            return [self._reply("club.denied")]
        if verb == "setup":
            wall = parse_local_time(command.time)
            zone = parse_zone(command.timezone, self.bundle.timezones.aliases)
            if not command.guild_id or not command.channel_id:
                return [self._reply("club.setup_usage")]
            if wall is None:
                return [self._reply("club.bad_time")]
            if zone is None:
                return [self._reply("club.bad_zone")]
            channel = command.channel_name or command.channel_id
            if command.bot_can_view is False or command.bot_can_send is False:
                return [self._reply("club_admin.cannot_post", channel=channel)]
            due = next_occurrence(wall, zone.tz, now)
            weekly = next_occurrence(wall, zone.tz, now, days={WEEKLY_DAY})
            await self.clubs.set_up(ref.platform, command.guild_id, command.channel_id,
                                    wall.strftime("%H:%M"), zone.name, due, weekly, now,
                                    admin_id=ref.user_id, channel_name=command.channel_name)
            local = due.astimezone(zone.tz)
            return [self._reply("club.setup_done", channel=channel,
                                time=wall.strftime("%H:%M"), zone=zone.name,
                                first=local.strftime("%a %d %b %H:%M"))]
        if verb == "off":
            changed = await self.clubs.switch_off(ref.platform, command.guild_id)
            return [self._reply("club.off" if changed else "club.not_set_up")]
        if verb == "leaderboard":
            club = await self.clubs.of_guild(ref.platform, command.guild_id)
            if club is None:
                return [self._reply("club.not_set_up")]
            if command.join:
                name = " ".join(command.display_name.split())[:MAX_NAME].strip()
                name = name or self.messages.get("club.anonymous")
                await self.clubs.join_leaderboard(club.id, ref.user_id, name)
                return [self._reply("club.leaderboard_on")]
            await self.clubs.leave_leaderboard(club.id, ref.user_id)
            return [self._reply("club.leaderboard_off")]
        return [self._reply("club.setup_usage")]

    async def _done(self, ref: ConversationRef, data: str) -> list[Reply]:
        parts = data.split(":")
        if len(parts) != 4 or not parts[2].isdigit():
            return [self._reply("input.stale")]
        club_id, day = int(parts[2]), parts[3]
        club = await self.clubs.get(club_id)
        if club is None:
            return [self._reply("input.stale")]
        today = local_date(self.clock.now(), zone_from_name(club.timezone))
        if day != today.isoformat():
            return [self._reply("club.post_closed")]
        added = await self.clubs.tick(club_id, today, ref.user_id, self.clock.now())
        post = await self._post(club_id, today)
        # The adapter replaces the pressed post with the refreshed one (the new counter).
        post = Reply(key=post.key, text=post.text, buttons=post.buttons, private=False,
                     replaces_pressed=True)
        thanks = self._reply("club.thanks" if added else "club.already_done")
        return [post, Reply(key=thanks.key, text=thanks.text, private=False, ephemeral=True)]

    async def _post(self, club_id: int, day: date) -> Reply:
        count = await self.clubs.done_count(club_id, day)
        routine = self.book.club_routine(day.weekday())
        counter = self.messages.get(
            "club.counter_one" if count == 1 else "club.counter", count=count
        )
        text = f"{self.messages.get('club.daily_title')}\n\n{routine}\n\n{counter}"
        button = Button(self.messages.get("buttons.club_done"), f"a:club:{club_id}:{day}")
        return Reply(key="club.daily", text=text, buttons=((button,),), private=False)

    async def compose_daily(self, target: str, local_day: date) -> Delivery | None:
        return await self.compose(target, "club_daily", local_day)

    async def compose_weekly(self, target: str, local_day: date) -> Delivery | None:
        return await self.compose(target, "club_weekly", local_day)

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None:
        club = await self.clubs.get(int(target[2:]))
        if club is None or not club.active:
            return None
        ref = ConversationRef(club.platform, "club", club.channel_id, True)
        if kind == "club_daily":
            reply = await self._post(club.id, local_day)
        elif kind == "club_weekly":
            reply = await self._weekly(club.id, local_day)
        else:
            return None
        return Delivery(ref, [reply])

    async def settle_post(self, target: str, local_day: date, result: SendResult) -> None:
        """A club post went out: the refusal count starts again. The platform does not let
        the bot post in the club's channel: count it, and tell the admin privately (at most
        one note of a kind a day); the third refusal in a row switches the post off."""
        club_id = int(target[2:])
        if isinstance(result, Sent):
            await self.clubs.post_delivered(club_id)
            return
        if not isinstance(result, NotPermitted):
            return
        count = await self.clubs.post_refused(club_id)
        kind = REFUSED
        if count >= MAX_REFUSED:
            await self.clubs.deactivate(club_id)
            kind = SWITCHED_OFF
        await self.outbox.add(target, kind, local_day, self.clock.now(), club_id=club_id)

    async def compose_refused(self, target: str, local_day: date) -> Delivery | None:
        club = await self.clubs.get(int(target[2:]))
        if club is None or not club.active or club.refused_posts == 0:
            return None  # set up again, or a post went out since: nothing to say
        return self._to_admin(club, "club_admin.post_refused")

    async def compose_switched_off(self, target: str, local_day: date) -> Delivery | None:
        club = await self.clubs.get(int(target[2:]))
        if club is None or club.active:
            return None  # set up again since
        return self._to_admin(club, "club_admin.switched_off")

    def _to_admin(self, club: ClubRecord, key: str) -> Delivery | None:
        """A note to the admin's private chat (``private``: never posted in a channel)."""
        if not club.admin_id:
            return None
        text = self.messages.get(key, channel=club.channel_name or club.channel_id,
                                 limit=MAX_REFUSED)
        ref = ConversationRef(club.platform, club.admin_id, "", shared=False)
        return Delivery(ref, [Reply(key=key, text=text, private=True)])

    async def _weekly(self, club_id: int, day: date) -> Reply:
        done, members = await self.clubs.week_totals(club_id, day - timedelta(days=6), day)
        lines = [self.messages.get("club.weekly", done=done, members=members)]
        board = await self._leaderboard(club_id, day)
        if board:
            lines.append(self.messages.get("club.leaderboard_title"))
            lines.extend(
                self.messages.get("club.leaderboard_line", rank=i, name=name, streak=streak)
                for i, (name, streak) in enumerate(board, start=1)
            )
        return Reply(key="club.weekly", text="\n".join(lines), private=False)

    async def _leaderboard(self, club_id: int, day: date) -> list[tuple[str, int]]:
        done = await self.clubs.leaderboard_days(club_id)
        board: list[tuple[str, int]] = []
        for (_member, name), days in done.items():
            # The summary goes out at post time, before that day's ticks: a streak may end
            # yesterday.
            streak, cursor = 0, day if day in days else day - timedelta(days=1)
            while cursor in days:
                streak += 1
                cursor -= timedelta(days=1)
            if streak:
                board.append((name, streak))
        board.sort(key=lambda item: (-item[1], item[0]))
        return board[:10]

