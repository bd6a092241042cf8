"""What can be checked of deploy/ here: the unit verifies, the manifests parse and name only images,
files and environment variables that exist, and the image installs the way the README says."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from watcher.cli import cli
from watcher.config import load_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
README = (DEPLOY / "README.md").read_text(encoding="utf-8")
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"```(?:sh|bash)?\n(.*?)```", markdown, re.DOTALL)


def readme_commands() -> list[str]:
    """Every command in the README's shell blocks, continuation lines joined, comments cut."""
    text = "\n".join(code_blocks(README)).replace("\\\n", " ")
    return [re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines() if line.strip()]


def readme_image_tag() -> str:
    [build] = [c for c in readme_commands() if c.startswith("docker build")]
    return shlex.split(build)[shlex.split(build).index("-t") + 1]


def known_environment() -> set[str]:
    """The variables watcher reads, the secrets the bundled config names (in its settings, or in
    the comment that says how to add them), and the ones the README's config example names
    (``*_env: NAME``)."""
    names = set()
    for path in [*(REPO / "watcher").rglob("*.py"), REPO / "config" / "watch.yaml"]:
        names.update(re.findall(r"\bWATCHER_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names.update(re.findall(r"\b\w+_env: (WATCHER_[A-Z_]+)\b", readme))
    config = load_config(REPO / "config" / "watch.yaml")
    names.update(c.secret_env for c in config.channels if c.secret_env)
    if config.smtp is not None and config.smtp.password_env:
        names.add(config.smtp.password_env)
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def unit_directives() -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for line in (DEPLOY / "watcher.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            directives.setdefault(key, []).append(value)
    return directives


# --- systemd -----------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    """systemd-analyze checks every directive; ExecStart points at this venv's watcher."""
    watcher = Path(sys.executable).parent / "watcher"
    unit = tmp_path / "watcher.service"
    unit.write_text(
        (DEPLOY / "watcher.service").read_text().replace("/opt/watcher/bin/watcher", str(watcher))
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in result.stderr.splitlines() if "watcher" in line]
    assert result.returncode == 0, result.stderr
    assert problems == []


def test_the_systemd_unit_is_hardened_and_matches_the_install_steps() -> None:
    unit = unit_directives()
    expected = {
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "StateDirectory": "watcher",
        "Restart": "on-failure",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
    }
    assert {key: unit[key][0] for key in expected} == expected
    assert unit["EnvironmentFile"] == ["-/etc/watcher/env"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    [exec_start] = unit["ExecStart"]
    venv = exec_start.split()[0].removesuffix("/bin/watcher")
    assert exec_start.split()[1:] == ["run"]
    assert f"python3 -m venv {venv} && {venv}/bin/pip install" in "\n".join(readme_commands())
    assert "WATCHER_CONFIG=%E/watcher/watch.yaml" in unit["Environment"]
    assert any(c.endswith("/etc/watcher/watch.yaml") for c in readme_commands())


# --- the image ---------------------------------------------------------------------------------


def test_the_dockerfile_installs_exactly_as_the_readme_says() -> None:
    installs = [arg for op, arg in dockerfile_instructions() if op == "RUN" and "pip" in arg]
    assert installs
    for command in installs:
        assert command in readme_commands()


def test_the_dockerfile_copies_only_what_exists_and_the_build_context_keeps() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    copies = [arg.split() for op, arg in dockerfile_instructions() if op == "COPY"]
    sources = [part for args in copies if not args[0].startswith("--from") for part in args[:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        pattern = f"!{source}/**" if (REPO / source).is_dir() else f"!{source}"
        assert pattern in ignore.splitlines(), f"{source} is not let into the build context"


def test_the_image_is_slim_unprivileged_and_checks_healthz() -> None:
    instructions = dockerfile_instructions()
    bases = {arg.split()[0] for op, arg in instructions if op == "FROM"}
    [user] = [arg for op, arg in instructions if op == "USER"]
    [healthcheck] = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    env = " ".join(arg for op, arg in instructions if op == "ENV")
    listen_port = re.search(r"WATCHER_METRICS_LISTEN=[\d.]+:(\d+)", env)
    assert len(bases) == 1
    assert re.fullmatch(r"python:3\.1\d-slim(-\w+)?", bases.pop())
    assert user.split(":")[0] not in {"root", "0"}
    assert listen_port
    assert f"http://127.0.0.1:{listen_port[1]}/healthz" in healthcheck
    assert ("ENTRYPOINT", '["watcher"]') in instructions
    assert ("CMD", '["run"]') in instructions
    assert "run" in cli.list_commands(click.Context(cli))


# --- compose -----------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_postgresql_and_two_workers_of_the_readmes_image() -> None:
    services = compose()["services"]
    worker, postgres = services["worker"], services["postgres"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["image"] == readme_image_tag()
    assert (DEPLOY / worker["build"]["context"] / worker["build"]["dockerfile"]).is_file()
    assert re.fullmatch(r"postgres:\d+(-\w+)?", postgres["image"])
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "postgres:5432/watcher" in worker["environment"]["WATCHER_DATABASE_URL"]
    assert postgres["environment"]["POSTGRES_DB"] == "watcher"


def test_compose_names_only_existing_files_and_variables() -> None:
    known = known_environment()
    for name, service in compose()["services"].items():
        for variable in service.get("environment", {}):
            assert variable in known | POSTGRES_IMAGE_VARIABLES, f"{name}: {variable}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
    mounted = compose()["services"]["worker"]["environment"]["WATCHER_CONFIG"]
    assert any(v.split(":")[1] == mounted for v in compose()["services"]["worker"]["volumes"])


# --- Kubernetes ---------------------------------------------------------------------------------


def manifests() -> dict[str, dict[str, Any]]:
    documents = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            documents[document["kind"]] = document
    return documents


def test_kubernetes_deployment_probes_healthz_on_the_metrics_port() -> None:
    deployment = manifests()["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert deployment["spec"]["replicas"] >= 2
    assert container["image"] == readme_image_tag()
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
        assert ports[container[probe]["httpGet"]["port"]] == int(
            env["WATCHER_METRICS_LISTEN"].rsplit(":", 1)[1]
        )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["terminationGracePeriodSeconds"] >= int(
        unit_directives()["TimeoutStopSec"][0].removesuffix("s")
    )


def test_kubernetes_names_only_existing_secrets_config_and_variables() -> None:
    documents = manifests()
    secret = documents["Secret"]
    pod = documents["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    known = known_environment()
    assert {e["name"] for e in container["env"]} <= known
    assert set(secret["stringData"]) <= known
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == [secret["metadata"]["name"]]
    volumes = {v["name"]: v for v in pod["volumes"]}
    [config_mount] = [m for m in container["volumeMounts"] if "configMap" in volumes[m["name"]]]
    config_map = volumes[config_mount["name"]]["configMap"]["name"]
    [create] = [c for c in readme_commands() if c.startswith("kubectl create configmap")]
    key, _, source = re.search(r"--from-file=(\S+)", create)[1].partition("=")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert f"configmap {config_map} " in create
    assert env["WATCHER_CONFIG"] == f"{config_mount['mountPath']}/{key}"
    assert load_config(REPO / source).sources


# --- the README ---------------------------------------------------------------------------------


def test_env_example_names_only_variables_watcher_reads() -> None:
    text = (DEPLOY / "env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?\s*([A-Z_]+)=", text, re.MULTILINE))
    assert names
    assert names <= known_environment()


def test_the_readmes_run_options_exist() -> None:
    documented = set(re.findall(r"`(--[a-z-]+)", README.split("## Operating")[1]))
    run = cli.get_command(click.Context(cli), "run")
    assert run is not None
    options = {opt for param in run.params for opt in param.opts}
    assert documented - {"--log-format"} <= options
    assert {"--worker-id", "--metrics-listen", "--tick", "--lease"} <= documented


def test_the_readmes_metrics_are_the_ones_served() -> None:
    from watcher import metrics

    _, served = metrics.exposition()
    documented = re.findall(r"`(watcher_[a-z_]+)", README)
    assert len(documented) >= 10
    for name in documented:
        assert re.search(rf"^# TYPE {name} ", served.decode(), re.MULTILINE), name


@pytest.mark.slow
def test_the_image_build_context_is_enough_to_install_watcher(tmp_path: Path) -> None:
    """Build the wheel from only what the Dockerfile copies, as the image's pip install does."""
    context = tmp_path / "src"
    for op, arg in dockerfile_instructions():
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                if (REPO / source).is_dir():
                    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                    shutil.copytree(REPO / source, context / source, ignore=ignore)
                else:
                    context.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / source, context / source)
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(context)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = out.glob("watcher-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"watcher/_bundled/config/watch.yaml", "watcher/schedule/daemon.py"} <= names
