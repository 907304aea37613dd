"""docker-compose.yml is a valid cluster: Debian's `docker-compose config` accepts it with the
committed .env.example, refuses it (naming the variable) when a secret is missing, and it
has what the operators rely on: a pinned KRaft Kafka, PostgreSQL, two workers built from the
Dockerfile, a mail catcher, health checks, and workers starting only once all are healthy.
No Docker engine is needed: `config` only reads and resolves the file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")

pytestmark = pytest.mark.skipif(
    COMPOSE is None, reason="docker-compose is not installed (.ci/run installs it)"
)


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    return subprocess.run(
        [COMPOSE, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"),
         "--env-file", str(env_file), "config"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(env_file.parent)},
    )


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    done = compose_config(ROOT / ".env.example")
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


def test_services_each_with_a_health_check(config: dict[str, Any]) -> None:
    services = config["services"]
    assert set(services) == {"kafka", "postgres", "mailcatcher", "worker-1", "worker-2"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_images_are_pinned_and_kafka_runs_kraft(config: dict[str, Any]) -> None:
    services = config["services"]
    for name in ("kafka", "postgres", "mailcatcher"):
        image = services[name]["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image else ""
        assert tag and tag != "latest" and any(c.isdigit() for c in tag), f"{name}: {image}"
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "ZOOKEEPER" not in " ".join(kafka["environment"])


def test_workers_wait_for_healthy_dependencies_and_share_the_cluster(
    config: dict[str, Any],
) -> None:
    for name in ("worker-1", "worker-2"):
        worker = config["services"][name]
        assert Path(worker["build"]["context"]) == ROOT  # built from the repository Dockerfile
        assert worker["depends_on"] == {
            dep: {"condition": "service_healthy"} for dep in ("kafka", "postgres", "mailcatcher")
        }
        env = worker["environment"]
        assert env["NEWSWATCH_BROKER"] == "kafka://kafka:9092"
        assert env["NEWSWATCH_DATABASE"].startswith("postgresql://newswatch:")
        assert env["NEWSWATCH_SMTP_HOST"] == "mailcatcher"


def test_secrets_come_from_the_env_file(config: dict[str, Any], tmp_path: Path) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text  # the example password lives in .env.example only
    assert config["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "change-me"

    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = compose_config(empty)
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_dockerfile_installs_everything_at_build_time() -> None:
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines()]
    base = next(ln for ln in lines if ln.startswith("FROM "))
    assert base.startswith("FROM python:3.11.") and "-slim" in base
    installs = [ln for ln in lines if "pip install" in ln]
    assert installs and all("-c constraints.txt" in ln for ln in installs)
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    start = next(ln for ln in lines if ln.startswith("CMD "))
    assert "pip" not in start and "download" not in start
