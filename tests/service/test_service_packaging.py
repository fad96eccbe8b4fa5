"""The Dockerfile, the compose file and the systemd unit: a syntax check in every run, and
`systemd-analyze verify` where it is installed; and the README's "Self-hosting", "Backups"
and "Upgrading" commands are the ones run here."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
                "SHELL"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        found.append((word, rest.strip()))
    return found


def test_dockerfile_syntax_and_rules() -> None:
    instructions = dockerfile_instructions()
    unknown = [w for w, _ in instructions if w not in INSTRUCTIONS]
    assert unknown == []
    froms = [rest for w, rest in instructions if w == "FROM"]
    assert len(froms) >= 2 and all(f.startswith("python:3.11-slim") for f in froms)
    users = [rest for w, rest in instructions if w == "USER"]
    assert users and users[-1] not in ("root", "0")
    (health,) = [rest for w, rest in instructions if w == "HEALTHCHECK"]
    assert '"kneecoach", "health"' in health  # /healthz on the metrics port
    assert ("VOLUME", '["/data"]') in instructions
    for word, rest in instructions:
        if word == "COPY" and "--from" not in rest:
            *sources, _ = shlex.split(rest)
            assert all((ROOT / s).exists() for s in sources), rest
        if word in ("CMD", "ENTRYPOINT", "VOLUME") and rest.startswith("["):
            import json

            json.loads(rest)  # exec form is JSON
    env = " ".join(rest for w, rest in instructions if w == "ENV")
    assert "KNEECOACH_METRICS_PORT=9464" in env and "KNEECOACH_DB=/data/" in env


def test_compose_file() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    service = compose["services"]["kneecoach"]
    assert (ROOT / "deploy" / service["build"]["context"] / service["build"]["dockerfile"]
            ).is_file()
    assert service["volumes"] == ["kneecoach-data:/data"]
    assert "kneecoach-data" in compose["volumes"]
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])
    assert service["cap_drop"] == ["ALL"] and service["read_only"] is True
    assert service["environment"]["KNEECOACH_DB"].startswith("/data/")
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        done = subprocess.run([docker, "compose", "-f", str(ROOT / "deploy/compose.yaml"),
                               "config", "-q"], capture_output=True, text=True, check=False)
        assert done.returncode == 0 or ".env" in done.stderr, done.stderr


def unit_sections() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for line in (ROOT / "deploy" / "kneecoach.service").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, sep, value = line.partition("=")
        assert sep and current, f"not a key=value line: {line}"
        sections[current].setdefault(key, []).append(value)
    return sections


def test_systemd_unit_syntax_and_hardening() -> None:
    unit = unit_sections()
    assert set(unit) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["DynamicUser"] == ["yes"] and service["StateDirectory"] == ["kneecoach"]
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes",
                       "PrivateTmp": "yes", "ProtectHome": "yes"}.items():
        assert service[key] == [value]
    assert "KNEECOACH_DB=/var/lib/kneecoach/kneecoach.db" in service["Environment"]
    assert service["RestartPreventExitStatus"] == ["2 3"]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here: only the syntax check ran")
    unit = (ROOT / "deploy" / "kneecoach.service").read_text()
    # The unit names the installed path; verify checks that ExecStart exists, so point it
    # at this checkout's own `kneecoach`.
    here = Path(sys.executable).parent / "kneecoach"
    (tmp_path / "kneecoach.service").write_text(
        unit.replace("/opt/kneecoach/.venv/bin/kneecoach", str(here)))
    done = subprocess.run([analyze, "verify", str(tmp_path / "kneecoach.service")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "kneecoach.service" not in done.stderr, done.stderr  # no warning about our unit


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def shell_lines(section: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def test_readme_self_hosting_names_what_exists() -> None:
    section = readme_section("Self-hosting")
    lines = shell_lines(section)
    assert any("docker build" in line for line in lines)
    assert any("deploy/compose.yaml" in line for line in lines)
    assert any("deploy/kneecoach.service" in line for line in lines)
    for path in re.findall(r"(?:deploy/[\w.]+|Dockerfile)", section):
        assert (ROOT / path).exists(), path
    for setting in re.findall(r"KNEECOACH_[A-Z_]+", section):
        from bot.config import Settings

        assert setting.lower() in Settings.model_fields or setting == "KNEECOACH_ENV_FILE", (
            setting)


def run_readme(line: str, tmp_path: Path) -> int:
    """A README command line, run in-process: absolute paths move under tmp_path."""
    line = line.replace("$(date +%F)", "2026-03-02")
    words = shlex.split(line)
    assert words[0] == "kneecoach"
    args = [str(tmp_path / w.lstrip("/")) if w.startswith("/") else w for w in words[1:]]
    for word in args:
        if word.startswith(str(tmp_path)):
            Path(word).parent.mkdir(parents=True, exist_ok=True)
    return main(args)


@pytest.mark.parametrize("title", ["Backups", "Upgrading"])
def test_readme_commands_are_the_ones_that_work(
    title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNEECOACH_DB", str(tmp_path / "var/lib/kneecoach/kneecoach.db"))
    assert main(["migrate"]) == 0  # a bot has run here before
    commands = [line for line in shell_lines(readme_section(title))
                if line.startswith("kneecoach ")]
    assert commands, f"no kneecoach command in {title}"
    for line in commands:
        assert run_readme(line, tmp_path) == 0, line
