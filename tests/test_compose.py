"""The container deployment, checked by reading it: no Docker engine runs where the tests run.

docker-compose.yml, deploy/Dockerfile, deploy/nats/nats.conf and the PostgreSQL init script
must agree with the code: commands the CLI accepts, environment variables the settings
classes read, ports that line up, and settings that validate in production. The NATS
configuration is also run: TLS, and the users it enforces.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import pytest
import yaml
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic_settings import BaseSettings

from common.auth import generate_keypair, load_signer, load_verifier
from common.bus import Bus, tls_context
from common.natsauth import authorization_block_from_environment, password_variable
from gateway.settings import GatewaySettings
from services.sharing.settings import SharingSettings
from services.staffing.settings import StaffingSettings
from services.talent.settings import TalentSettings
from teacherpool.cli import parser
from teacherpool.launcher import database_urls
from tests.deploy.settings_reads import READS, unread
from tests.support import free_port, nats_binary, wait_for_listener
from tests.tls import make_certificates

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
NATS_CONF = ROOT / "deploy" / "nats" / "nats.conf"
NATS_AUTH = ROOT / "deploy" / "nats" / "auth.conf"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "init-databases.sql"

IMAGE = "teacherpool:latest"
SERVICES: dict[str, type[BaseSettings]] = {
    "staffing": StaffingSettings,
    "sharing": SharingSettings,
    "talent": TalentSettings,
}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SECRETS_DIR = "/run/secrets/"

#: Stands in for the operator's environment when the compose file is interpolated.
OPERATOR_ENV = {
    "TP_POSTGRES_PASSWORD": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "TP_TALENT_PII_KEYS": '{"2026a": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="}',
    "TP_TALENT_PII_ACTIVE_KEY_ID": "2026a",
    "TP_TALENT_PII_HASH_KEY": "EjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjQ=",
    "TP_NATS_STAFFING_PASSWORD": "5a1f0c3e9b7d2468ace0135792468ace",
    "TP_NATS_SHARING_PASSWORD": "6b2e1d4f0a8c3579bdf1246803579bdf",
    "TP_NATS_TALENT_PASSWORD": "7c3f2e5a1b9d468ace02357914680ace",
    "TP_NATS_GATEWAY_PASSWORD": "8d4a3f6b2cae579bdf13468025791bdf",
}
_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: object) -> str:
    """Resolve ${VAR}, ${VAR:-default} and ${VAR:?error} as `docker compose` would."""

    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = OPERATOR_ENV.get(name)
        if op in (":-", "-") and not value:
            return arg
        if op in (":?", "?") and not value:
            raise AssertionError(f"compose needs {name} from the operator: {arg}")
        return value or ""

    return _VARIABLE.sub(resolve, str(value)).replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict) and "services" in document, "no services in compose"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def raw_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {str(key): str(value) for key, value in environment.items()}


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(value) for key, value in raw_environment(service).items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """{target: condition}, with the short (list) form meaning service_started."""
    targets = service.get("depends_on") or {}
    if isinstance(targets, list):
        return dict.fromkeys(targets, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in targets.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service.get("healthcheck", {}).get("test")
    assert test, "no healthcheck"
    return " ".join(test) if isinstance(test, list) else str(test)


def teacherpool_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in services.items() if spec.get("image") == IMAGE}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


@pytest.fixture
def key_files(tmp_path: Path) -> dict[str, Path]:
    """Real key files standing in for the compose secrets, by secret name."""
    private, public = tmp_path / "gateway-ed25519.pem", tmp_path / "gateway-ed25519.pub.pem"
    generate_keypair(private, public)
    tls = make_certificates(tmp_path / "nats-tls", ("nats", "localhost"))
    return {
        "gateway_private_key": private,
        "gateway_public_key": public,
        "nats_ca": tls.ca,
        "nats_tls_cert": tls.cert,
        "nats_tls_key": tls.key,
    }


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No TP_* variable of the machine running the tests leaks into the settings."""
    for name in list(os.environ):
        if name.upper().startswith("TP_"):
            monkeypatch.delenv(name)
    yield monkeypatch


def apply_compose_environment(
    monkeypatch: pytest.MonkeyPatch, service: dict[str, Any], key_files: dict[str, Path]
) -> None:
    for name, value in environment(service).items():
        if value.startswith(SECRETS_DIR):
            secret = value.removeprefix(SECRETS_DIR)
            assert secret in key_files, f"{name} names an unknown secret {secret}"
            value = str(key_files[secret])
        monkeypatch.setenv(name, value)


# --- the image ------------------------------------------------------------------------


def test_teacherpool_processes_share_one_image_built_from_the_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    ours = teacherpool_services(services)
    assert set(ours) == {"migrate", *SERVICES, "gateway"}, f"image {IMAGE} is used by {set(ours)}"
    for name, spec in ours.items():
        build = spec.get("build") or {}
        assert build.get("context") == ".", f"{name}: build context must be the repository root"
        assert (ROOT / build.get("dockerfile", "")).resolve() == DOCKERFILE, (
            f"{name}: builds from {build.get('dockerfile')!r}, not deploy/Dockerfile"
        )


def test_every_command_is_a_real_cli_command(services: dict[str, dict[str, Any]]) -> None:
    for name, spec in teacherpool_services(services).items():
        command = spec.get("command")
        assert isinstance(command, list), f"{name}: command must be an exec-form list"
        try:
            args = parser().parse_args(command)
        except SystemExit as error:
            pytest.fail(f"{name}: `teacherpool {' '.join(command)}` does not parse ({error})")
        if args.command == "serve":
            assert args.service == name, f"{name} serves {args.service}"
        else:
            assert args.command == name, f"{name} runs `teacherpool {args.command}`"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the runtime stage of deploy/Dockerfile sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"the runtime stage runs as {users[-1]!r}"
    assert user == "10001", f"the runtime user is {user!r}, expected uid 10001"


def test_dockerfile_entrypoint_is_teacherpool() -> None:
    stage = final_stage()
    entrypoints = [json.loads(arguments) for keyword, arguments in stage if keyword == "ENTRYPOINT"]
    assert entrypoints and entrypoints[-1] == ["teacherpool"], (
        f'ENTRYPOINT must be the exec form ["teacherpool"], found {entrypoints}'
    )
    commands = [json.loads(arguments) for keyword, arguments in stage if keyword == "CMD"]
    assert commands, "the Dockerfile has no default CMD"
    parser().parse_args(commands[-1])


def test_dockerfile_bakes_in_no_secret() -> None:
    for keyword, arguments in dockerfile_instructions():
        if keyword in ("COPY", "ADD"):
            assert "secrets" not in arguments and ".pem" not in arguments, (
                f"{keyword} {arguments} copies key material into the image"
            )
        if keyword in ("ENV", "ARG"):
            assert not re.search(r"PASSWORD|PRIVATE|SECRET", arguments, re.IGNORECASE), (
                f"{keyword} {arguments} bakes a secret into the image"
            )
    ignored = DOCKERIGNORE.read_text(encoding="utf-8").split()
    for pattern in ("deploy/secrets", ".venv", "var", ".git"):
        assert pattern in ignored, f".dockerignore does not exclude {pattern}"


# --- environment against the settings classes -----------------------------------------


@pytest.mark.parametrize("name", sorted(READS))
def test_every_tp_variable_is_read_by_the_settings(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    for variable in raw_environment(services[name]):
        if variable.startswith("TP_"):
            problem = unread(name, variable)
            assert problem is None, problem


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "migrate"])
def test_processes_run_in_production(services: dict[str, dict[str, Any]], name: str) -> None:
    env = environment(services[name])
    assert env.get("TP_ENV") == "production", f"{name}: TP_ENV is {env.get('TP_ENV')!r}"


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_servers_listen_on_all_interfaces_with_a_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = environment(services[name])
    prefix = f"TP_{name.upper()}_"
    assert env.get(f"{prefix}HOST") == "0.0.0.0", (
        f"{name}: {prefix}HOST must be 0.0.0.0 in a container, is {env.get(f'{prefix}HOST')!r}"
    )
    assert env.get(f"{prefix}PORT", "").isdigit(), f"{name}: {prefix}PORT is not set"


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "migrate"])
def test_database_urls_name_postgres_service(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = environment(services[name])
    expected = (
        {f"TP_{svc.upper()}_DATABASE_URL" for svc in SERVICES}
        if name == "migrate"
        else {f"TP_{name.upper()}_DATABASE_URL"}
    )
    for variable in expected:
        url = env.get(variable, "")
        assert url.startswith("postgresql+asyncpg://"), f"{name}: {variable} is {url!r}"
        parts = urlsplit(url)
        assert parts.hostname == "postgres" and parts.hostname in services, (
            f"{name}: {variable} points at {parts.hostname!r}, not the postgres service"
        )
        assert parts.port == 5432, f"{name}: {variable} uses port {parts.port}"
        assert parts.password == OPERATOR_ENV["TP_POSTGRES_PASSWORD"], (
            f"{name}: {variable} must take its password from TP_POSTGRES_PASSWORD"
        )


def test_postgres_password_has_no_default(services: dict[str, dict[str, Any]]) -> None:
    required = re.compile(r"\$\{TP_POSTGRES_PASSWORD:\?[^}]+\}")
    password = raw_environment(services["postgres"]).get("POSTGRES_PASSWORD", "")
    assert required.fullmatch(password), f"POSTGRES_PASSWORD is {password!r}"
    for name, spec in services.items():
        for variable, value in raw_environment(spec).items():
            if variable.endswith("DATABASE_URL"):
                assert required.search(value), f"{name}: {variable} does not require the password"


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_processes_reach_nats_by_service_name_over_tls_as_their_own_user(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    raw = raw_environment(services[name]).get("TP_NATS_URL", "")
    url = urlsplit(environment(services[name]).get("TP_NATS_URL", ""))
    assert url.scheme == "tls", f"{name}: TP_NATS_URL is not a tls:// URL"
    assert url.hostname == "nats" and "nats" in services, (
        f"{name}: TP_NATS_URL points at {url.hostname!r}, not the nats service"
    )
    assert url.username == name, f"{name} connects to NATS as {url.username!r}"
    variable = f"TP_NATS_{name.upper()}_PASSWORD"
    assert re.search(r"\$\{" + variable + r":\?[^}]*\}@", raw), f"{name}: no required {variable}"
    nats_env = raw_environment(services["nats"])
    assert nats_env[password_variable(name)].startswith("${" + variable + ":?"), (
        f"NATS does not read {name}'s password from {variable}"
    )
    listen = re.search(r"^\s*listen\s*:\s*\S*?:?(\d+)\s*$", NATS_CONF.read_text(), re.MULTILINE)
    assert listen, "deploy/nats/nats.conf has no listen port"
    assert url.port == int(listen[1]), (
        f"{name}: TP_NATS_URL uses port {url.port}, NATS listens on {listen[1]}"
    )
    assert environment(services[name]).get("TP_NATS_TLS_CA_FILE") == SECRETS_DIR + "nats_ca"
    assert "nats_ca" in services[name].get("secrets", []), f"{name} does not mount nats_ca"


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "migrate"])
def test_key_files_are_mounted_secrets(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], name: str
) -> None:
    spec = services[name]
    env = environment(spec)
    mounted = {s if isinstance(s, str) else s["source"] for s in spec.get("secrets", [])}
    wanted = {"TP_AUTH_PUBLIC_KEY_FILE": "gateway_public_key"}
    if name == "gateway":
        wanted["TP_AUTH_PRIVATE_KEY_FILE"] = "gateway_private_key"
    else:
        assert "TP_AUTH_PRIVATE_KEY_FILE" not in env, f"{name} must not know the private key"
        assert "gateway_private_key" not in mounted, f"{name} must not get the private key"
    for variable, secret in wanted.items():
        assert env.get(variable) == SECRETS_DIR + secret, f"{name}: {variable} is not the secret"
        assert secret in mounted, f"{name} does not mount the secret {secret}"
        assert secret in compose.get("secrets", {}), f"the secret {secret} is not defined"
        source = compose["secrets"][secret].get("file", "")
        assert source.startswith("./deploy/secrets/"), f"{secret} comes from {source!r}"


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "migrate"])
def test_settings_validate_in_production_from_the_compose_environment(
    services: dict[str, dict[str, Any]],
    key_files: dict[str, Path],
    clean_environ: pytest.MonkeyPatch,
    name: str,
) -> None:
    apply_compose_environment(clean_environ, services[name], key_files)
    if name == "migrate":
        # `teacherpool migrate` reads each database URL alone, none of the other secrets.
        urls = database_urls()
        assert all(url.startswith("postgresql+asyncpg://") for url in urls.values()), urls
        return
    classes = list(READS[name].values())
    for cls in classes:
        settings: Any = cls()
        assert settings.common.is_production, f"{name}: {cls.__name__} is not in production"
        assert settings.database_url.startswith("postgresql+asyncpg://"), settings.database_url
        load_verifier(settings.common, "staffing")  # reads and checks the public key
        if name == "gateway":
            load_signer(settings.common)  # reads and checks the private key
        assert urlsplit(settings.common.nats_url_for(name)).username == name
        assert tls_context(settings.common.nats_tls_ca_file) is not None
        if name != "migrate":
            assert (settings.host, settings.port) == (
                "0.0.0.0",
                int(environment(services[name])[f"TP_{name.upper()}_PORT"]),
            ), f"{name}: {cls.__name__} listens on {settings.host}:{settings.port}"


# --- ports, health and start order ----------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_healthcheck_probes_readyz_on_the_service_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    port = environment(services[name])[f"TP_{name.upper()}_PORT"]
    probe = re.search(
        r"http://(?:127\.0\.0\.1|localhost):(\d+)(/\w+)", healthcheck_command(services[name])
    )
    assert probe, f"{name}: the healthcheck requests no local URL"
    assert probe[1] == port, f"{name}: the healthcheck probes port {probe[1]}, PORT is {port}"
    assert probe[2] == "/readyz", f"{name}: the healthcheck probes {probe[2]}, not /readyz"


def test_gateway_upstreams_match_the_services(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["gateway"])
    for name in GatewaySettings().upstreams():
        variable = f"TP_GATEWAY_{name.upper()}_URL"
        url = urlsplit(env.get(variable, ""))
        assert url.scheme == "http", f"{variable} is not set to an http URL"
        assert url.hostname == name and name in services, (
            f"{variable} points at {url.hostname!r}, not the {name} service"
        )
        port = environment(services[name])[f"TP_{name.upper()}_PORT"]
        assert url.port == int(port), f"{variable} uses port {url.port}, {name} listens on {port}"


def test_only_the_gateway_is_published(services: dict[str, dict[str, Any]]) -> None:
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"gateway"}, f"published to the host: {sorted(published)}"
    port = environment(services["gateway"])["TP_GATEWAY_PORT"]
    assert services["gateway"]["ports"] == [f"{port}:{port}"], services["gateway"]["ports"]


def test_depends_on_targets_exist_with_valid_conditions(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in services.items():
        for target, condition in depends_on(spec).items():
            assert target in services, f"{name} depends on {target}, which does not exist"
            assert condition in CONDITIONS, f"{name} -> {target}: unknown condition {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (
                    f"{name} waits for {target} to be healthy, but it has no healthcheck"
                )
            if condition == "service_completed_successfully":
                assert str(services[target].get("restart", "no")) == "no", (
                    f"{name} waits for {target} to complete, but {target} restarts"
                )


@pytest.mark.parametrize("name", SERVICES)
def test_services_start_after_migrations_nats_and_postgres(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    assert depends_on(services[name]) == {
        "nats": "service_healthy",
        "postgres": "service_healthy",
        "migrate": "service_completed_successfully",
    }, f"{name} depends on {depends_on(services[name])}"
    assert services[name].get("restart") == "unless-stopped", f"{name} is not restarted"


def test_migrate_runs_once_after_postgres(services: dict[str, dict[str, Any]]) -> None:
    migrate = services["migrate"]
    assert migrate.get("command") == ["migrate"], migrate.get("command")
    assert str(migrate.get("restart")) == "no", "migrate is a one-shot job: restart must be no"
    assert depends_on(migrate).get("postgres") == "service_healthy", depends_on(migrate)


def test_gateway_starts_after_the_services_are_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    conditions = depends_on(services["gateway"])
    for name in SERVICES:
        assert conditions.get(name) == "service_healthy", (
            f"the gateway does not wait for {name} to be healthy: {conditions}"
        )


# --- NATS and PostgreSQL --------------------------------------------------------------


def _jetstream_block() -> str:
    block = re.search(r"jetstream\s*[:=]?\s*\{(?P<body>[^}]*)\}", NATS_CONF.read_text())
    assert block, "deploy/nats/nats.conf does not enable JetStream"
    return block["body"]


def test_nats_fsyncs_every_write() -> None:
    assert re.search(r"^\s*sync_interval\s*[:=]\s*always\s*$", _jetstream_block(), re.M), (
        "jetstream.sync_interval must be `always`: otherwise acknowledged messages can be "
        "lost on power failure"
    )


def test_nats_stores_jetstream_on_the_mounted_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    store = re.search(r"^\s*store_dir\s*[:=]\s*\"?([^\s\"]+)\"?\s*$", _jetstream_block(), re.M)
    assert store, "jetstream has no store_dir"
    nats = services["nats"]
    mounts = dict(
        (volume.split(":")[1], volume.split(":")[0]) for volume in nats.get("volumes", [])
    )
    assert store[1] in mounts, f"store_dir {store[1]} is not a mount of the nats service"
    assert mounts[store[1]] in compose.get("volumes", {}), (
        f"store_dir {store[1]} is mounted from {mounts[store[1]]!r}, not a named volume"
    )
    config_mount = next(
        (target for target, source in mounts.items() if source == "./deploy/nats/nats.conf"), None
    )
    assert config_mount and config_mount in nats.get("command", []), (
        "the nats service does not run with deploy/nats/nats.conf"
    )
    assert "js-enabled-only=true" in healthcheck_command(nats), "NATS healthcheck ignores JetStream"


def test_nats_users_are_the_ones_the_code_defines() -> None:
    """deploy/nats/auth.conf is what common/natsauth.py generates: the same users and rights."""
    text = NATS_AUTH.read_text(encoding="utf-8")
    assert text[text.index("authorization {") :] == authorization_block_from_environment()
    assert 'include "auth.conf"' in NATS_CONF.read_text(encoding="utf-8")


@pytest.fixture
def compose_nats(
    services: dict[str, dict[str, Any]], key_files: dict[str, Path], tmp_path: Path
) -> Iterator[int]:
    """nats-server on the shipped config and the environment compose gives it; its port."""
    port, monitor = free_port(), free_port()
    conf = NATS_CONF.read_text(encoding="utf-8")
    conf = re.sub(r"^listen:.*$", f"listen: 127.0.0.1:{port}", conf, flags=re.M)
    conf = re.sub(r"^http:.*$", f"http: 127.0.0.1:{monitor}", conf, flags=re.M)
    conf = conf.replace("store_dir: /data", f"store_dir: {json.dumps(str(tmp_path / 'js'))}")
    for secret in ("nats_tls_cert", "nats_tls_key"):
        conf = conf.replace(SECRETS_DIR + secret, str(key_files[secret]))
    (tmp_path / "nats.conf").write_text(conf, encoding="utf-8")
    (tmp_path / "auth.conf").write_text(NATS_AUTH.read_text(encoding="utf-8"), encoding="utf-8")
    nats_env = {k: v for k, v in environment(services["nats"]).items() if k.startswith("NATS_")}
    checked = subprocess.run(
        [nats_binary(), "-c", str(tmp_path / "nats.conf"), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **nats_env},
    )
    assert checked.returncode == 0, f"nats-server rejects the config: {checked.stderr}"
    process = subprocess.Popen(
        [nats_binary(), "-c", str(tmp_path / "nats.conf")],
        env={**os.environ, **nats_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_listener(process, port)
        yield port
    finally:
        process.terminate()
        process.wait(5)


async def test_the_compose_nats_config_serves_tls_and_enforces_each_users_rights(
    services: dict[str, dict[str, Any]], key_files: dict[str, Path], compose_nats: int
) -> None:
    """A process connects as itself over TLS and may publish its own events and nothing of
    another's; without a user, nothing."""
    port = compose_nats

    def url(name: str) -> str:
        given = urlsplit(environment(services[name])["TP_NATS_URL"])
        return f"tls://{given.username}:{given.password}@localhost:{port}"

    tls = tls_context(key_files["nats_ca"])
    staffing = Bus(url("staffing"), name="staffing", tls=tls)
    sharing = Bus(url("sharing"), name="sharing", tls=tls)
    try:
        await staffing.connect(retry_forever=True)
        await sharing.connect(retry_forever=True)
        assert sharing.nc is not None
        ack = await staffing.js.publish("staffing.unit.registered", b"{}")
        assert ack.stream == "STAFFING"
        with pytest.raises((NoRespondersError, NatsTimeout)):
            await sharing.nc.jetstream(timeout=1).publish("staffing.staff.hired", b"{}")
        with pytest.raises(Exception, match=r"(?i)authori|ssl|tls"):
            await nats.connect(
                f"nats://localhost:{port}", allow_reconnect=False, max_reconnect_attempts=0
            )
    finally:
        await staffing.close()
        await sharing.close()


def test_postgres_creates_every_database_the_urls_name(
    services: dict[str, dict[str, Any]],
) -> None:
    created = set(
        re.findall(r"^\s*CREATE\s+DATABASE\s+(\w+)\s*;", POSTGRES_INIT.read_text(), re.I | re.M)
    )
    named = {
        urlsplit(value).path.lstrip("/")
        for spec in services.values()
        for variable, value in environment(spec).items()
        if variable.endswith("DATABASE_URL")
    }
    assert named, "no DATABASE_URL in the compose file"
    assert named <= created, f"the init script does not create {sorted(named - created)}"
    mounts = services["postgres"].get("volumes", [])
    assert any(
        volume.startswith("./deploy/postgres/init-databases.sql:/docker-entrypoint-initdb.d/")
        for volume in mounts
    ), "the init script is not mounted into /docker-entrypoint-initdb.d"
