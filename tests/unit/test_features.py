"""Features plug into the coach: the menu, actions and reminders come from what they
register, two features cannot claim one name, and every text key the code uses is declared
and checked against the content."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.assembly import assemble, features, layout, open_coach
from bot.check import run_check
from bot.content import default_content_root, default_dialogs_root
from bot.domain.clock import FakeClock
from bot.domain.events import Command, ConversationRef
from bot.engine.coach import Coach
from bot.engine.feature import Registry, RegistryError
from bot.engine.session import Session
from bot.store.sqlite import SQLiteDatabase
from bot.store.stores import Stores
from tests.conftest import START
from tests.support.content import shipped_bundle

REPO = Path(__file__).resolve().parents[2]
ME = ConversationRef("console", "me", "chat-me")


class Ping:
    """A feature of one command: the whole of what a newcomer writes for one."""

    name = "ping"

    def register(self, registry: Registry) -> None:
        registry.command("ping", self.ping)

    async def ping(self, session: Session, args: str) -> None:
        session.say("idle.text")


async def test_a_new_feature_is_one_registration(tmp_path: Path) -> None:
    bundle = shipped_bundle()
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    stores = Stores.over(db)
    clock = FakeClock(START)
    rows = layout()
    coach = Coach(bundle, stores, clock, [*features(bundle, stores, clock, rows), Ping()], rows)
    try:
        assert [r.key for r in await coach.handle(ME, Command("ping"))] == ["idle.text"]
    finally:
        await coach.close()


async def test_without_a_feature_its_commands_and_menu_entries_are_gone(tmp_path: Path) -> None:
    bundle = shipped_bundle()
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    stores = Stores.over(db)
    clock = FakeClock(START)
    every = features(bundle, stores, clock, layout())
    coach = Coach(bundle, stores, clock, [f for f in every if f.name != "library"], layout())
    try:
        menu = [name for name, _ in coach.command_menu()]
        assert "exercise" not in menu and "learn" not in menu and "today" in menu
        assert [r.key for r in await coach.handle(ME, Command("learn"))] == ["command.unknown"]
    finally:
        await coach.close()


async def test_the_menu_follows_the_content_order(tmp_path: Path) -> None:
    coach = await open_coach(tmp_path / "k.db")
    try:
        assert [name for name, _ in coach.command_menu()] == [
            "start", "today", "checkin", "progress", "settings", "exercise", "learn",
            "export", "forget", "stop", "help",
        ]
    finally:
        await coach.close()


async def test_two_features_cannot_claim_one_name(tmp_path: Path) -> None:
    bundle = shipped_bundle()
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    stores = Stores.over(db)
    try:
        with pytest.raises(RegistryError, match="command /ping is registered by both"):
            Coach(bundle, stores, FakeClock(START), [Ping(), Ping()], layout())
    finally:
        await db.close()


async def test_every_dialog_action_belongs_to_a_feature(tmp_path: Path) -> None:
    coach = await open_coach(tmp_path / "k.db")
    try:
        actions = {s.action for d in coach.bundle.content().dialogs.values()
                   for s in d.steps.values() if s.action}
        assert actions <= set(coach.registry.actions)
        assert set(coach.registry.person_reminders) == {"daily", "snooze"}
        assert set(coach.registry.target_reminders) == {
            "club_daily", "club_weekly", "club_refused", "club_switched_off"
        }
    finally:
        await coach.close()


# --------------------------------------------------------------------------- text keys

TEXT_CALLS = {"say", "text"}


def literal_keys(path: Path) -> list[tuple[str, frozenset[str], int, bool]]:
    """(key or f-string prefix, keyword names, line, is_prefix) of every text lookup."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        target = node.func.value
        is_get = name == "get" and isinstance(target, ast.Attribute) and target.attr in {
            "messages", "texts"}
        if name not in TEXT_CALLS and not is_get:
            continue
        if not node.args:
            continue
        first = node.args[0]
        kwargs = frozenset(k.arg for k in node.keywords if k.arg)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((first.value, kwargs, node.lineno, False))
        elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
            found.append((str(first.values[0].value), kwargs, node.lineno, True))
    return found


async def test_every_text_key_in_the_code_is_declared(tmp_path: Path) -> None:
    coach = await open_coach(tmp_path / "k.db")
    declared = coach.registry.text_keys
    await coach.close()
    missing = []
    for path in sorted((REPO / "bot" / "engine").rglob("*.py")):
        for key, kwargs, line, is_prefix in literal_keys(path):
            where = f"{path.relative_to(REPO)}:{line}"
            if is_prefix:
                if not any(k.startswith(key) for k in declared):
                    missing.append(f"{where}: no declared key starts with {key!r}")
            elif key not in declared:
                missing.append(f"{where}: {key!r} is not declared")
            elif not kwargs <= declared[key]:
                missing.append(f"{where}: {key!r} fills in {sorted(kwargs - declared[key])}")
    assert not missing, "\n".join(missing)


def test_the_key_scanner_sees_lookups() -> None:
    keys = {k for k, *_ in literal_keys(REPO / "bot" / "engine" / "features" / "navigation.py")}
    assert {"help.text", "back.nothing", "cancel.done", "cancel.nothing"} <= keys


def copy_content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(default_content_root(), copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_check_refuses_a_placeholder_the_code_does_not_fill(tmp_path: Path) -> None:
    copy = copy_content(tmp_path)
    edit(copy / "locales" / "en" / "messages.yaml",
         '"Done. The next session arrives {when}."', '"Done. The next session arrives {whenn}."')
    assert run_check(copy, default_dialogs_root()) == [
        "content/locales/en/messages.yaml: entry 'settings.time_set': unknown placeholder(s) "
        "{whenn}; the code fills in {when}"
    ]


def test_check_refuses_a_text_the_code_uses_but_content_lacks(tmp_path: Path) -> None:
    copy = copy_content(tmp_path)
    edit(copy / "locales" / "en" / "messages.yaml",
         '  done: "Reminders are off.', '  gone: "Reminders are off.')
    assert run_check(copy, default_dialogs_root()) == [
        "content/locales/en/messages.yaml: entry 'stop.done': missing (the code uses it)"
    ]


# --------------------------------------------------------------------------- broken rules


def broken_rules(tmp_path: Path) -> Path:
    copy = copy_content(tmp_path)
    edit(copy / "triage.yaml", '      - "a pop"\n', '      - "a {pop|snap"\n')
    return copy


def kneecoach(tmp_path: Path, *args: str, content: Path) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / ".env"
    env_file.write_text(f"KNEECOACH_CONTENT={content}\nKNEECOACH_DB={tmp_path / 'k.db'}\n",
                        encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, check=False,
        cwd=tmp_path, input="/start\n", timeout=120,
    )


def test_a_broken_rules_file_fails_check_and_stops_chat_and_run(tmp_path: Path) -> None:
    copy = broken_rules(tmp_path)
    assert run_check(copy, default_dialogs_root()) == [
        "content/triage.yaml: signal 'pop_injury': field 'phrases[3]': unbalanced braces in "
        "phrase 'a {pop|snap'"
    ]
    for args in (["check"], ["chat", "--script", "-"], ["run"]):
        result = kneecoach(tmp_path, *args, content=copy)
        assert result.returncode != 0, (args, result.stdout)
        assert "content/triage.yaml" in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stdout == "", (args, result.stdout)


async def test_the_coach_cannot_be_assembled_without_rules(tmp_path: Path) -> None:
    bundle = shipped_bundle()
    db = await SQLiteDatabase.open(tmp_path / "k.db")
    try:
        coach = assemble(bundle, Stores.over(db), FakeClock(START))
        assert coach.screener.signals  # built once, at start
    finally:
        await db.close()
