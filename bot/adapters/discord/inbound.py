"""Discord events in: slash commands, button presses and DMs become ``ConversationRef`` +
``Inbound`` for the coach, and its replies go back where they belong.

Where the conversation happens: used in a server, a personal command answers with a short
ephemeral note (``discord.continued_in_dm``, with the link that opens the DM: Discord's
``https://discord.com/channels/@me/<DM channel id>``) and the conversation itself goes to the
member's DMs (the DM channel is opened once; its id is kept in a ``DMChannelStore``). In DMs
everything works directly, typed answers included. Club traffic stays in the server as
``ConversationRef("discord", member_id, channel_id, shared=True)``; replies there are
ephemeral, and a reply marked ``private`` goes to the member's DMs instead: nothing private
is ever posted in a server.

Every interaction is deferred before the engine is called (Discord wants an answer within
3 s). After a press, the pressed message is edited: a reply marked ``replaces_pressed``
becomes it (text and buttons: the club post's new counter with its Done button; never a
private reply on a server message), otherwise ``Reply.chosen`` is shown under the question
and its buttons go; a reply marked ``joins_pressed`` (the only one, a question) is then
shown in the same edit, under the choice, with its buttons, where it fits one message.
Replies marked ``ephemeral`` are ephemeral follow-ups (the club's "thanks").

What people type in a DM goes to the engine's ``Inbox`` (the message id is its event id, a
repeat is dropped): it is kept before anything else happens, handled in the person's turn and
answered through the adapter's ``Sender`` (posted to the DM with a nonce per message), so a
crash mid-turn leaves it to the next start. Interactions (slash commands, presses) must be
acknowledged within 3 s through the interaction itself and cannot be fetched again: they are
handled directly, each in one turn (all or nothing).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import Any, Concatenate, ParamSpec

import discord

from bot.adapters.discord.capabilities import MAX_CONTENT, PLATFORM, ROOT_COMMAND
from bot.adapters.discord.client import Interaction
from bot.adapters.discord.commands import parse_typed
from bot.adapters.discord.outbound import DM_CLOSED, Outbound, files, message_kwargs, view
from bot.adapters.discord.render import (
    RenderedMessage,
    dm_link,
    render_chosen,
    render_joined,
    render_markup,
    render_replies,
    render_reply,
)
from bot.adapters.discord.settings import DMChannelStore
from bot.domain.events import ClubCommand, Command, ConversationRef, Envelope, Press, Reply
from bot.engine.ports import CoachPort, Inbox

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_Handler = Callable[Concatenate["DiscordInbound", _P], Coroutine[Any, Any, None]]


def _tracked(method: _Handler[_P]) -> _Handler[_P]:
    """Remember the running handler so the adapter's stop() can let it finish."""

    @functools.wraps(method)
    async def wrapper(self: DiscordInbound, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            await method(self, *args, **kwargs)
        finally:
            if task is not None:
                self.inflight.discard(task)

    return wrapper


class DiscordInbound:
    """The client's ``Handlers``: what to do with each interaction and DM."""

    def __init__(
        self,
        coach: CoachPort,
        outbound: Outbound,
        dm_channel_store: DMChannelStore,
        inbox: Inbox | None = None,
    ) -> None:
        self.coach = coach
        self.outbound = outbound
        self.dm_channel_store = dm_channel_store
        self.inbox = inbox
        # The personal commands people may type in a DM (the /knee group's, set at setup).
        self.commands: Collection[str] = ()
        self.inflight: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ content

    def content_text(self, key: str, **values: object) -> str:
        """A UI string from the coach's content; "" when the content has none."""
        try:
            text = self.coach.text(key, **values)
        except Exception:
            return ""
        return "" if text == key else text

    def ui_text(self, key: str, **values: object) -> str:
        """Adapter chrome from the coach's content, rendered for Discord (``values`` fill
        its placeholders; a link stays clickable)."""
        text = self.content_text(key, **values)
        if not text:
            log.error("discord: content/messages.yaml has no %r", key)
            text = key
        return render_markup(text)[:MAX_CONTENT]

    def dm_note(self, dm_id: str) -> str:
        """ "I've sent you a direct message", with the link that opens that DM."""
        return self.ui_text("discord.continued_in_dm", link=dm_link(dm_id))

    # ------------------------------------------------------------------ DM channels

    async def _dm_channel_id(self, user: discord.User | discord.Member) -> str:
        return await self.outbound.dm_channel_id(str(user.id))

    async def _remember_dm(self, user_id: str, channel_id: str) -> None:
        if await self.dm_channel_store.get(user_id) != channel_id:
            await self.dm_channel_store.set(user_id, channel_id)

    # ------------------------------------------------------------------ answering

    async def _defer(
        self, interaction: Interaction, *, ephemeral: bool = False, thinking: bool = False
    ) -> bool:
        """Acknowledge within Discord's 3 s; False when it is too late (nothing to do)."""
        try:
            await interaction.response.defer(ephemeral=ephemeral, thinking=thinking)
        except discord.NotFound:
            log.warning(
                "discord: interaction %s expired before it was acknowledged", interaction.id
            )
            return False
        except discord.InteractionResponded:
            return True
        return True

    async def _respond(
        self, interaction: Interaction, messages: Sequence[RenderedMessage], *, ephemeral: bool
    ) -> None:
        """Fill a deferred "thinking" response with the messages (first edits it)."""
        if not messages:
            await interaction.delete_original_response()
            return
        first, *rest = messages
        kwargs = message_kwargs(first)
        attached = kwargs.pop("files", None)
        if attached:
            kwargs["attachments"] = attached
        await interaction.edit_original_response(**kwargs)
        for message in rest:
            await interaction.followup.send(
                **message_kwargs(message), ephemeral=ephemeral, wait=True
            )

    async def _followups(
        self, interaction: Interaction, messages: Sequence[RenderedMessage]
    ) -> None:
        for message in messages:
            await interaction.followup.send(**message_kwargs(message), ephemeral=True, wait=True)

    async def answer_error(self, interaction: Interaction) -> None:
        """Tell the person something went wrong (never leave an interaction hanging)."""
        text = self.ui_text("discord.error")
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
            else:
                await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.debug("discord: could not report an error to the user", exc_info=True)

    # ------------------------------------------------------------------ events

    @_tracked
    async def on_personal_command(self, interaction: Interaction, name: str, args: str) -> None:
        in_guild = interaction.guild_id is not None
        if not await self._defer(interaction, ephemeral=in_guild, thinking=True):
            return
        user = interaction.user
        user_id = str(user.id)
        try:
            if in_guild or interaction.channel_id is None:
                dm_id = await self._dm_channel_id(user)
            else:
                dm_id = str(interaction.channel_id)
                await self._remember_dm(user_id, dm_id)
            ref = ConversationRef(PLATFORM, user_id, dm_id, shared=False)
            replies = await self.coach.handle(ref, Command(name, args))
            messages = render_replies(replies)
            if not in_guild:
                await self._respond(interaction, messages, ephemeral=False)
                return
            try:
                await self.outbound.post(int(dm_id), messages)
            except discord.Forbidden as exc:
                if exc.code != DM_CLOSED:
                    raise
                await interaction.edit_original_response(content=self.ui_text("discord.dms_closed"))
                return
            await interaction.edit_original_response(content=self.dm_note(dm_id))
        except Exception:
            log.exception("discord: /%s %s failed", ROOT_COMMAND, name)
            await self.answer_error(interaction)

    @_tracked
    async def on_club_command(
        self, interaction: Interaction, command: ClubCommand, *, needs_manage: bool
    ) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(
                self.ui_text("discord.club_server_only"), ephemeral=True
            )
            return
        if not await self._defer(interaction, ephemeral=True, thinking=True):
            return
        permissions = interaction.permissions
        if needs_manage and not (permissions.manage_guild or permissions.administrator):
            command = ClubCommand("denied")
        ref = ConversationRef(
            PLATFORM, str(interaction.user.id), str(interaction.channel_id), shared=True
        )
        try:
            replies = await self.coach.handle(ref, command)
            await self._answer_in_server(interaction, replies, original_pending=True)
        except Exception:
            log.exception("discord: /%s club %s failed", ROOT_COMMAND, command.action)
            await self.answer_error(interaction)

    @_tracked
    async def on_press(self, interaction: Interaction, data: str) -> None:
        if not await self._defer(interaction):
            return
        user_id = str(interaction.user.id)
        in_guild = interaction.guild_id is not None
        try:
            channel_id = str(interaction.channel_id)
            if not in_guild:
                await self._remember_dm(user_id, channel_id)
            ref = ConversationRef(PLATFORM, user_id, channel_id, shared=in_guild)
            replies = await self.coach.handle(ref, Press(data))
            rest = await self._update_pressed(interaction, replies, shared=in_guild)
            if in_guild:
                await self._answer_in_server(interaction, rest, original_pending=False)
                return
            ephemeral = [r for r in rest if r.ephemeral]
            others = [r for r in rest if not r.ephemeral]
            await self.outbound.post(int(channel_id), render_replies(others))
            await self._followups(interaction, render_replies(ephemeral))
        except Exception:
            log.exception("discord: a button press failed")
            await self.answer_error(interaction)

    async def _update_pressed(
        self, interaction: Interaction, replies: Sequence[Reply], *, shared: bool
    ) -> list[Reply]:
        """Edit the pressed message; return the replies still to send.

        A reply marked ``replaces_pressed`` becomes the pressed message (text and buttons;
        never a private reply in a server). Otherwise, when the engine says which option was
        chosen (``Reply.chosen``), the choice is shown under the question and its buttons go.
        """
        if interaction.message is None:
            return list(replies)
        replacement = next(
            (r for r in replies if r.replaces_pressed and not (shared and r.private)), None
        )
        if replacement is not None:
            messages = render_reply(replacement)
            if len(messages) > 1:
                log.warning("discord: a replacement of %d messages keeps the first", len(messages))
            first = messages[0]
            rows = next((m.rows for m in messages if m.rows), ())
            kwargs: dict[str, Any] = {
                "content": first.content,
                "view": view(RenderedMessage(first.content, rows)),
            }
            attached = files(first)
            if attached:
                kwargs["attachments"] = attached
            await interaction.edit_original_response(
                allowed_mentions=discord.AllowedMentions.none(), **kwargs
            )
            return [r for r in replies if r is not replacement]
        if await self._join_pressed(interaction, replies, shared=shared):
            return []
        chosen = next((r.chosen for r in replies if r.chosen), None)
        if chosen is not None:
            await interaction.edit_original_response(
                content=render_chosen(interaction.message.content, chosen), view=None
            )
        return list(replies)

    async def _join_pressed(
        self, interaction: Interaction, replies: Sequence[Reply], *, shared: bool
    ) -> bool:
        """One edit instead of an edit and a post: when the engine marked the only reply to
        a press ``joins_pressed``, the pressed DM message becomes its own content, the
        choice and the reply, with the reply's buttons, if that fits one message. False
        when it does not apply (the caller shows the choice and posts the reply)."""
        message = interaction.message
        if shared or message is None or len(replies) != 1 or not replies[0].joins_pressed:
            return False
        reply = replies[0]
        rendered = render_reply(reply)
        if reply.chosen is None or len(rendered) != 1 or rendered[0].files:
            return False
        content = render_joined(message.content, reply.chosen, rendered[0])
        if content is None:
            return False
        await interaction.edit_original_response(
            content=content, view=view(rendered[0]),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        if rendered[0].asks and interaction.channel_id is not None:
            await self.outbound.questions.keep(int(interaction.channel_id), message.id)
        return True

    async def _answer_in_server(
        self, interaction: Interaction, replies: Sequence[Reply], *, original_pending: bool
    ) -> None:
        """Replies to an interaction in a server: private ones to the DM, the rest ephemeral.

        Nothing is posted for everyone to read here: a club post is only ever edited in place
        (:meth:`_update_pressed`) or sent by the delivery worker (``Outbound.send``).
        """
        private = [r for r in replies if r.private]
        public = render_replies([r for r in replies if not r.private])
        notes: list[RenderedMessage] = []
        if private:
            try:
                dm_id = await self._dm_channel_id(interaction.user)
                await self.outbound.post(int(dm_id), render_replies(private))
                notes.append(RenderedMessage(self.dm_note(dm_id)))
            except discord.Forbidden as exc:
                if exc.code != DM_CLOSED:
                    raise
                notes.append(RenderedMessage(self.ui_text("discord.dms_closed")))
        messages = [*public, *notes]
        if original_pending:
            await self._respond(interaction, messages, ephemeral=True)
            return
        await self._followups(interaction, messages)

    @_tracked
    async def on_message(self, message: discord.Message) -> None:
        """Text typed in a DM with the bot (server messages are not even delivered)."""
        if message.guild is not None or message.author.bot:
            return
        if not message.content.strip():
            return
        user_id = str(message.author.id)
        channel_id = str(message.channel.id)
        try:
            await self._remember_dm(user_id, channel_id)
            ref = ConversationRef(PLATFORM, user_id, channel_id, shared=False)
            inbound = parse_typed(message.content, self.commands)
            if self.inbox is not None:  # kept, then handled and answered in its turn
                await self.inbox.accept([Envelope(PLATFORM, str(message.id), ref, inbound)])
                return
            replies = await self.coach.handle(ref, inbound)
            await self.outbound.mark_typed(message.channel.id, replies)
            await self.outbound.post(message.channel.id, render_replies(replies))
        except Exception:
            log.exception("discord: handling a DM failed")
