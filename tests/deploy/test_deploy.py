"""Deployment files stay valid: the compose file passes docker-compose, kustomize renders, images run non-root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {"postgres", "redis", "migrate", "rasa", "actions", "web", "worker"}


@pytest.fixture
def compose_config(tmp_path: Path) -> dict:
    """``docker-compose config`` over the compose file, with the example environment as .env."""
    assert shutil.which("docker-compose"), "docker-compose is missing: make test installs it (scripts/system_deps.sh)"
    (tmp_path / "deploy").mkdir()
    shutil.copy(DEPLOY / "docker-compose.yml", tmp_path / "deploy" / "docker-compose.yml")
    shutil.copy(DEPLOY / ".env.example", tmp_path / "deploy" / ".env")
    result = subprocess.run(
        ["docker-compose", "-f", "deploy/docker-compose.yml", "config"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid_and_complete(compose_config):
    services = compose_config["services"]
    assert set(services) == SERVICES
    for name in ("postgres", "redis", "rasa", "actions", "web"):
        assert "healthcheck" in services[name], name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert {"pgdata", "redisdata"} <= set(compose_config["volumes"])
    # Every Shaml variable the example sets is a real setting or a Rasa endpoint variable.
    env = services["web"]["environment"]
    assert env["SHAML_DATABASE_URL"].startswith("postgresql://shaml:")


def test_kustomize_renders_every_part():
    assert shutil.which("kubectl"), "kubectl is needed to render the manifests"
    result = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    kinds: dict[str, set[str]] = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], set()).add(doc["metadata"]["name"])
        assert doc["kind"] == "Namespace" or doc["metadata"]["namespace"] == "shaml"
    assert kinds["Deployment"] == {"web", "worker", "rasa", "actions"}
    assert kinds["Service"] == {"web", "rasa", "actions"}
    assert kinds["HorizontalPodAutoscaler"] == {"web", "rasa", "actions"}
    assert kinds["PodDisruptionBudget"] == {"web", "worker", "rasa", "actions"}
    for doc in docs:
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            container = pod["containers"][0]
            assert "livenessProbe" in container
            assert {"configMapRef": {"name": "shaml-config"}} in container["envFrom"]


def test_rasa_uses_shared_stores_for_replicas():
    from shaml.commands.assistant import endpoints_yaml
    from shaml.settings import Settings

    settings = Settings.from_env(
        {"SHAML_DATABASE_URL": "postgresql://shaml:pw@postgres:5432/shaml", "SHAML_REDIS_URL": "redis://redis:6379/0"}
    )
    endpoints = yaml.safe_load(endpoints_yaml(settings))
    assert endpoints["tracker_store"]["type"] == "bot.crypto.tracker_store.EncryptedSQLTrackerStore" and endpoints["tracker_store"]["url"] == "postgres"
    assert endpoints["lock_store"]["type"] == "redis" and endpoints["lock_store"]["url"] == "redis"


def test_image_runs_as_non_root():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "USER 10001" in runtime
    assert "RUN /opt/shaml/.venv/bin/shaml train" in dockerfile  # the model is baked in
