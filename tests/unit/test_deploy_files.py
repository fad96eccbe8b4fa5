"""The PostgreSQL compose example: it parses, its services hang together, and its commands
are the ones the tests run (`kneecoach migrate`, `kneecoach run` on KNEECOACH_DATABASE_URL).
Docker has no engine on the test machines, so this stands in for `docker compose config`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose.postgres.yaml"


def test_the_postgres_compose_file_hangs_together() -> None:
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert set(services) == {"db", "migrate", "worker"}
    assert services["migrate"]["command"] == ["kneecoach", "migrate"]
    assert services["worker"]["command"] == ["kneecoach", "run"]
    assert services["worker"]["deploy"]["replicas"] == 3
    for name in ("migrate", "worker"):
        env = services[name]["environment"]
        assert env["KNEECOACH_DATABASE_URL"].startswith("postgresql://")
        for needed in services[name]["depends_on"]:
            assert needed in services
    assert services["worker"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully")
    settings = " ".join(services["db"]["command"])
    assert "idle_in_transaction_session_timeout" in settings
    assert "tcp_keepalives_idle" in settings
    assert set(spec["volumes"]) == {"pgdata"} and set(spec["secrets"]) == {"pg_pw"}


def test_the_commands_it_runs_exist() -> None:
    for command in ("migrate", "run"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0  # (an unknown command exits 2)
