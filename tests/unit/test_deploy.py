"""The deployment files in deploy/: parsed and checked here, since tests cannot run Docker."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

# Every hardening option the systemd unit must set, with its exact value.
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/opt/nearer/data",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictRealtime": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


# Dockerfile -----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of deploy/Dockerfile, continued lines joined."""
    instructions = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        # Docker drops comment lines, including those inside a continued instruction.
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        pending = ""
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def arguments_of(keyword: str) -> list[str]:
    """The arguments of every instruction named `keyword`, in order."""
    return [arguments for name, arguments in dockerfile_instructions() if name == keyword]


def exec_form(arguments: str) -> list[str]:
    """A JSON (exec form) argument list such as ["python", "-m", "bot", "run"]."""
    parsed = json.loads(arguments)
    assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
    return parsed


def dockerfile_env() -> dict[str, str]:
    """Every variable set with ENV KEY=value."""
    variables = {}
    for arguments in arguments_of("ENV"):
        for assignment in shlex.split(arguments):
            key, equals, value = assignment.partition("=")
            assert equals, f"ENV {arguments!r} should use the KEY=value form"
            variables[key] = value
    return variables


def test_the_image_is_built_on_python_3_11_slim() -> None:
    final_stage = arguments_of("FROM")[-1].split()[0]
    assert final_stage.startswith("python:3.11-slim")


def test_the_image_creates_the_user_nearer_with_uid_10001() -> None:
    user_creation = [run for run in arguments_of("RUN") if "useradd" in run]
    assert len(user_creation) == 1
    assert re.search(r"useradd\b.*--uid 10001\b.*\bnearer\b", user_creation[0])


def test_the_container_runs_as_nearer_and_not_as_root() -> None:
    assert arguments_of("USER")[-1] == "nearer"


def test_the_image_declares_the_data_volume() -> None:
    volumes = [exec_form(arguments) for arguments in arguments_of("VOLUME")]
    assert volumes == [["/data"]]


def test_the_data_folder_belongs_to_nearer_before_the_volume_is_declared() -> None:
    # A new named volume starts as a copy of the image's folder, owner included; changes made
    # after VOLUME are discarded, so the chown has to come first.
    instructions = dockerfile_instructions()
    volume_at = next(i for i, (name, _) in enumerate(instructions) if name == "VOLUME")
    runs_before = [args for name, args in instructions[:volume_at] if name == "RUN"]
    assert any(re.search(r"chown nearer(:nearer)? /data\b", run) for run in runs_before)


def test_the_image_points_the_database_at_the_volume_and_leaves_output_unbuffered() -> None:
    env = dockerfile_env()
    assert env["DATABASE_PATH"] == "/data/nearer.sqlite3"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_the_image_works_from_app() -> None:
    assert arguments_of("WORKDIR") == ["/app"]


def test_every_path_the_dockerfile_copies_exists_in_the_repository() -> None:
    sources = []
    for arguments in arguments_of("COPY") + arguments_of("ADD"):
        # Flags such as --chown are skipped; --from would copy from another image, not the repo.
        assert "--from" not in arguments
        words = [word for word in arguments.split() if not word.startswith("--")]
        sources += words[:-1]
    assert sources
    missing = [source for source in sources if not (REPO / source).exists()]
    assert missing == []


def test_the_image_copies_the_code_the_content_and_the_project_files() -> None:
    copied = {
        word.rstrip("/") for arguments in arguments_of("COPY") for word in arguments.split()[:-1]
    }
    assert {"bot", "content", "pyproject.toml", "README.md"} <= copied


def test_the_image_keeps_content_beside_the_bot_package() -> None:
    # bot/content.py looks for content/ next to the bot package, so both go to /app and the
    # project is installed in editable mode to run from there.
    destinations = {
        arguments.split()[0].rstrip("/"): arguments.split()[-1].rstrip("/")
        for arguments in arguments_of("COPY")
    }
    assert destinations["bot"] == "bot" and destinations["content"] == "content"
    editable = re.compile(r"pip install --no-cache-dir .*-e \.")
    assert any(editable.search(run) for run in arguments_of("RUN"))


def test_the_health_check_runs_the_bot_healthcheck_command() -> None:
    (healthcheck,) = arguments_of("HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD ")
    assert all(option.startswith("--") for option in options.split())
    assert exec_form(command) == ["python", "-m", "bot", "healthcheck"]


def test_the_container_starts_the_bot_with_run() -> None:
    assert exec_form(arguments_of("CMD")[-1]) == ["python", "-m", "bot", "run"]


# docker-compose.yml ---------------------------------------------------------------------------


def parse_block_yaml(text: str) -> dict[str, Any]:
    """Parse the block-style YAML the compose file uses: nested mappings, lists and scalars."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((len(raw) - len(raw.lstrip(" ")), stripped))

    def scalar(value: str) -> str:
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            return value[1:-1]
        return value

    def block(start: int, indent: int) -> tuple[Any, int]:
        at = start
        if lines[at][1].startswith("- "):
            items = []
            while at < len(lines) and lines[at][0] == indent and lines[at][1].startswith("- "):
                items.append(scalar(lines[at][1][2:]))
                at += 1
            return items, at
        mapping: dict[str, Any] = {}
        while at < len(lines) and lines[at][0] == indent:
            key, colon, value = lines[at][1].partition(":")
            assert colon, f"expected 'key: value', got {lines[at][1]!r}"
            at += 1
            if value.strip():
                mapping[key] = scalar(value)
            elif at < len(lines) and (
                lines[at][0] > indent or (lines[at][0] == indent and lines[at][1].startswith("- "))
            ):
                mapping[key], at = block(at, lines[at][0])
            else:
                mapping[key] = None
        return mapping, at

    parsed, end = block(0, 0)
    assert end == len(lines), f"could not parse from {lines[end][1]!r}"
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return parse_block_yaml((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def service(compose: dict[str, Any]) -> dict[str, Any]:
    nearer: dict[str, Any] = compose["services"]["nearer"]
    return nearer


def test_compose_builds_from_the_repository_root_with_the_deploy_dockerfile(
    service: dict[str, Any],
) -> None:
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert context == REPO
    assert (context / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


def test_compose_reads_settings_from_the_env_file_at_the_repository_root(
    service: dict[str, Any],
) -> None:
    assert service["env_file"] == "../.env"
    assert (DEPLOY / service["env_file"]).resolve() == REPO / ".env"


def test_compose_keeps_the_database_on_the_volume_whatever_env_says(
    service: dict[str, Any],
) -> None:
    assert service["environment"]["DATABASE_PATH"] == "/data/nearer.sqlite3"


def test_compose_declares_the_named_volume_and_mounts_it_at_data(
    compose: dict[str, Any], service: dict[str, Any]
) -> None:
    assert "nearer-data" in compose["volumes"]
    assert service["volumes"] == ["nearer-data:/data"]


def test_compose_restarts_the_bot_unless_it_was_stopped(service: dict[str, Any]) -> None:
    assert service["restart"] == "unless-stopped"


def test_compose_stops_the_bot_with_sigterm_and_30_seconds_of_grace(
    service: dict[str, Any],
) -> None:
    assert service["stop_signal"] == "SIGTERM"
    assert service["stop_grace_period"] == "30s"


def test_compose_offers_the_webhook_and_metrics_ports_commented_out(
    service: dict[str, Any],
) -> None:
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    assert "ports" not in service
    assert re.search(r"^\s*#\s*- \"[\d.:]*8080:8080\"", text, re.MULTILINE)
    assert re.search(r"^\s*#\s*- \"[\d.:]*9100:9100\"", text, re.MULTILINE)


# nearer.service ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    # strict=False: systemd allows a key more than once (the last one wins here, as it does for
    # most keys); no interpolation, since systemd gives % its own meaning; keys keep their case.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(DEPLOY / "nearer.service", encoding="utf-8")
    return parser


def test_the_unit_has_unit_service_and_install_sections(unit: configparser.ConfigParser) -> None:
    assert unit.sections() == ["Unit", "Service", "Install"]


def test_the_unit_starts_after_the_network_is_up(unit: configparser.ConfigParser) -> None:
    assert unit["Unit"]["After"] == "network-online.target"
    assert unit["Unit"]["Wants"] == "network-online.target"


def test_the_unit_runs_the_bot_from_opt_nearer_as_nearer(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    assert service["ExecStart"] == "/opt/nearer/.venv/bin/python -m bot run"
    assert service["WorkingDirectory"] == "/opt/nearer"
    assert service["EnvironmentFile"] == "/opt/nearer/.env"
    assert service["User"] == "nearer"


def test_the_unit_restarts_the_bot_on_failure(unit: configparser.ConfigParser) -> None:
    assert unit["Service"]["Restart"] == "on-failure"


def test_the_unit_stops_the_bot_with_sigterm_within_30_seconds(
    unit: configparser.ConfigParser,
) -> None:
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    assert unit["Service"]["TimeoutStopSec"] == "30"


@pytest.mark.parametrize(("option", "value"), HARDENING.items())
def test_the_unit_sets_each_hardening_option(
    unit: configparser.ConfigParser, option: str, value: str
) -> None:
    assert unit["Service"].get(option) == value


def test_the_unit_is_enabled_for_the_multi_user_target(unit: configparser.ConfigParser) -> None:
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_analyze_verify_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists; /opt/nearer/.venv is not there on a test
    # machine, so check a copy that runs this interpreter instead. Nothing else is changed.
    text = (DEPLOY / "nearer.service").read_text(encoding="utf-8")
    copy = tmp_path / "nearer.service"
    copy.write_text(text.replace("/opt/nearer/.venv/bin/python", sys.executable))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Unknown keys and bad values are only warned about, so the output must be read as well.
    complaints = [line for line in result.stderr.splitlines() if "nearer.service" in line]
    assert result.returncode == 0, result.stderr
    assert complaints == []


# deploy/README.md -----------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["docker compose", "systemctl", "backup", "WEBHOOK_URL"])
def test_the_deploy_readme_covers(phrase: str) -> None:
    assert phrase in (DEPLOY / "README.md").read_text(encoding="utf-8")


# Several instances on PostgreSQL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_postgres() -> dict[str, Any]:
    text = (DEPLOY / "docker-compose.postgres.yml").read_text(encoding="utf-8")
    return parse_block_yaml(text)


def test_the_postgres_compose_runs_three_replicas_on_one_database(
    compose_postgres: dict[str, Any],
) -> None:
    services = compose_postgres["services"]
    assert set(services) == {"postgres", "nearer", "proxy"}
    nearer = services["nearer"]
    assert nearer["deploy"]["replicas"] == "3"
    assert nearer["environment"]["DATABASE_URL"].startswith("postgresql://nearer:")
    assert "@postgres:5432/nearer" in nearer["environment"]["DATABASE_URL"]
    assert nearer["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert compose_postgres["volumes"] == {"postgres-data": None, "caddy-data": None}


def test_the_proxy_spreads_the_webhook_over_every_replica() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "dynamic a nearer 8080" in caddyfile
    assert "reverse_proxy /telegram*" in caddyfile


def test_the_systemd_template_names_each_instance_and_reads_its_own_ports() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "nearer@.service").read_text(encoding="utf-8"))
    service = unit["Service"]
    assert "INSTANCE_NAME=%H-%i" in service["Environment"]
    assert service["EnvironmentFile"].endswith("/opt/nearer/instances/%i.env")
    for option, value in HARDENING.items():
        assert service[option] == value, option


def test_the_backup_script_dumps_with_pg_dump_and_keeps_two_weeks() -> None:
    script = (DEPLOY / "backup-postgres.sh").read_text(encoding="utf-8")
    assert "pg_dump --format=custom" in script and "KEEP_DAYS:-14" in script
    assert "umask 077" in script
