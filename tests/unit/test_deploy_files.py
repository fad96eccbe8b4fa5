"""The PostgreSQL compose example and its proxy: they parse, their services hang together,
their commands are the ones the tests run on KNEECOACH_DATABASE_URL (`kneecoach migrate`:
tests/unit/test_store_backends.py; `kneecoach run`: tests/adapters/test_discord_takeover.py)
and every setting they give the workers is one `kneecoach run` reads. These checks stand in
for `docker compose config` and `caddy adapt`, which run too where they are installed
(`docker-compose` v1 will do)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.postgres.yaml"
# A `${NAME:?why}` interpolation: compose refuses to start without NAME.
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?[^}]+\}$")


def compose() -> dict[str, Any]:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


def test_the_postgres_compose_file_hangs_together() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"db", "migrate", "worker", "proxy"}
    assert services["migrate"]["command"] == ["kneecoach", "migrate"]
    assert services["worker"]["command"] == ["kneecoach", "run"]
    assert services["worker"]["deploy"]["replicas"] == 3
    for name in ("migrate", "worker"):
        env = services[name]["environment"]
        assert env["KNEECOACH_DATABASE_URL"].startswith("postgresql://")
    for service in services.values():
        for needed in service.get("depends_on", ()):
            assert needed in services
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully")
    settings = " ".join(services["db"]["command"])
    assert "idle_in_transaction_session_timeout" in settings
    assert "tcp_keepalives_idle" in settings
    assert set(spec["volumes"]) == {"pgdata", "caddy-data", "caddy-config"}
    assert set(spec["secrets"]) == {"pg_pw"}


def test_every_worker_serves_the_webhook_with_the_required_secret() -> None:
    worker = compose()["services"]["worker"]
    env = worker["environment"]
    # on the container's own interface, so the proxy can reach it over the compose network
    assert env["TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0"
    assert [str(p) for p in worker["expose"]] == [env["TELEGRAM_WEBHOOK_PORT"]]
    assert "ports" not in worker  # only the proxy is reachable from outside
    for name in ("TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET"):
        required = REQUIRED.match(env[name])
        assert required is not None and required["name"] == name, env[name]
    known = {name.upper() for name in Settings.model_fields}
    assert set(env) <= known  # no setting that `kneecoach run` would ignore


def test_the_proxy_spreads_the_webhook_over_the_workers() -> None:
    services = compose()["services"]
    proxy = services["proxy"]
    # the first to retry a POST on the next worker after a refused connection (#7546)
    assert re.fullmatch(r"caddy:2\.(1[1-9]|[2-9]\d)(\.\d+)?", proxy["image"])
    mounts = {m.split(":")[1]: DEPLOY / m.split(":")[0] for m in proxy["volumes"]}
    caddyfile = mounts["/etc/caddy/Caddyfile"]
    assert caddyfile.is_file()
    assert REQUIRED.match(proxy["environment"]["KNEECOACH_DOMAIN"])
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    text = "\n".join(line.split("#")[0] for line in caddyfile.read_text().splitlines())
    assert text.count("{") == text.count("}")
    site = re.search(r"^\{\$(?P<env>\w+)\}\s*\{", text, re.MULTILINE)
    assert site is not None and site["env"] == "KNEECOACH_DOMAIN"
    upstreams = re.search(r"dynamic a (?P<service>\S+) (?P<port>\d+)", text)
    assert upstreams is not None
    assert upstreams["service"] == "worker" and upstreams["service"] in services
    port = services["worker"]["environment"]["TELEGRAM_WEBHOOK_PORT"]
    assert upstreams["port"] == port
    assert re.search(r"lb_policy round_robin\b", text)
    assert re.search(r"lb_try_duration \d+s\b", text)  # a refused connection: the next worker


def test_the_commands_it_runs_exist() -> None:
    for command in ("migrate", "run"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0  # (an unknown command exits 2)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="no caddy on this machine")
def test_caddy_reads_the_caddyfile_as_meant() -> None:
    done = subprocess.run(["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile")],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "KNEECOACH_DOMAIN": "bot.example.org"})
    assert done.returncode == 0, done.stderr
    (route,) = json.loads(done.stdout)["apps"]["http"]["servers"]["srv0"]["routes"]
    assert route["match"] == [{"host": ["bot.example.org"]}]
    (proxy,) = route["handle"][0]["routes"][0]["handle"]
    assert proxy["handler"] == "reverse_proxy"
    assert proxy["dynamic_upstreams"] | {"refresh": 0} == {
        "source": "a", "name": "worker", "port": "8443", "refresh": 0}
    assert proxy["load_balancing"]["selection_policy"] == {"policy": "round_robin"}
    assert proxy["load_balancing"]["try_duration"] > 0


def _compose_cli() -> list[str] | None:
    """`docker compose` (v2) where the plugin is installed, else `docker-compose` (v1)."""
    docker = shutil.which("docker")
    if docker is not None and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


COMPOSE_CLI = _compose_cli()


@pytest.mark.skipif(COMPOSE_CLI is None, reason="no `docker compose` on this machine")
def test_docker_compose_accepts_it_and_refuses_it_without_the_secret(tmp_path: Path) -> None:
    assert COMPOSE_CLI is not None
    (tmp_path / "deploy").mkdir()
    for name in ("compose.postgres.yaml", "Caddyfile"):
        shutil.copy(DEPLOY / name, tmp_path / "deploy" / name)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pg_pw").write_text("pw\n")
    env = tmp_path / ".env"
    lines = ["TELEGRAM_BOT_TOKEN=1:x", "TELEGRAM_WEBHOOK_URL=https://example.org/tg",
             "KNEECOACH_DOMAIN=example.org", "TELEGRAM_WEBHOOK_SECRET=s"]

    def config(*settings: str) -> subprocess.CompletedProcess[str]:
        env.write_text("\n".join(settings) + "\n")
        return subprocess.run(
            [*COMPOSE_CLI, "--env-file", str(env), "-f",
             str(tmp_path / "deploy" / "compose.postgres.yaml"), "config", "--quiet"],
            capture_output=True, text=True, check=False)

    done = config(*lines)
    assert done.returncode == 0, done.stderr
    refused = config(*lines[:-1])
    assert refused.returncode != 0 and "TELEGRAM_WEBHOOK_SECRET" in refused.stderr
