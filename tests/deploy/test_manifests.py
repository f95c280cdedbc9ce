"""The Kubernetes deployment, checked by reading it: no cluster runs where the tests run.

deploy/k8s (a kustomize base and the dev and production overlays) must render, validate
against the Kubernetes schemas, and agree with the code: environment variables the settings
classes read, probes on the ports the processes listen on, settings that validate in
production, and no secret value anywhere, only references to Secrets.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from common.auth import generate_keypair, load_signer, load_verifier
from common.migrations import SERVICES as DATABASES
from common.natsauth import authorization_block_from_environment, password_variable
from teacherpool.cli import parser
from tests.deploy.kustomize import KustomizeError, build, containers, json_patch, pod_spec
from tests.deploy.settings_reads import READS, unread
from tests.support import nats_binary
from tests.tls import make_certificates

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
TARGETS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev"}
TARGETS["production"] = K8S / "overlays" / "production"
#: The oldest Kubernetes the manifests are written for; the schemas are bundled offline.
KUBERNETES_VERSION = "1.30"
IMAGE = "teacherpool"

SERVICES = ("staffing", "sharing", "talent")
PROCESSES = (*SERVICES, "gateway")
#: Variables whose value is a credential: they may only come from a Secret.
SENSITIVE = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|PII_KEYS|HASH_KEY|PRIVATE_KEY$")

Document = dict[str, Any]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Document]]:
    return {name: build(path) for name, path in TARGETS.items()}


def find(documents: list[Document], kind: str, name: str) -> Document:
    matches = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: found {len(matches)}"
    return matches[0]


def config_maps(documents: list[Document]) -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d.get("data", {}) for d in documents if d["kind"] == "ConfigMap"}


def teacherpool_workloads(documents: list[Document]) -> dict[str, tuple[Document, Document]]:
    """{command name: (workload, container)} of every container running the teacherpool image."""
    found: dict[str, tuple[Document, Document]] = {}
    for document in documents:
        for container in containers(document):
            if container["image"].split(":")[0].rsplit("/", 1)[-1] != IMAGE:
                continue
            args = parser().parse_args(container["args"])
            name = args.service if args.command == "serve" else args.command
            assert name not in found, (
                f"two workloads run `teacherpool {' '.join(container['args'])}`"
            )
            found[name] = (document, container)
    return found


def environment(container: Document, documents: list[Document]) -> dict[str, Any]:
    """A container's variables: literal values, ConfigMap values, and Secret references as such."""
    maps = config_maps(documents)
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        assert ref, f"{container['name']}: envFrom other than a ConfigMap: {source}"
        assert ref["name"] in maps, f"{container['name']}: no ConfigMap {ref['name']}"
        env.update(maps[ref["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
            continue
        source = variable["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[variable["name"]] = maps[ref["name"]][ref["key"]]
        else:
            env[variable["name"]] = source
    return env


# --- rendering and schemas -------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_kustomization_renders_with_unique_resources(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    keys = [(d["kind"], d["metadata"]["name"]) for d in documents]
    assert len(keys) == len(set(keys)), f"{target}: duplicate resources"
    if target != "base":
        namespaces = [d for d in documents if d["kind"] == "Namespace"]
        assert len(namespaces) == 1, f"{target} declares {len(namespaces)} namespaces"
        namespace = namespaces[0]["metadata"]["name"]
        for document in documents:
            if document["kind"] != "Namespace":
                assert document["metadata"].get("namespace") == namespace, (
                    f"{target}: {document['kind']}/{document['metadata']['name']} is not in "
                    f"{namespace}"
                )


@pytest.mark.parametrize("target", TARGETS)
def test_builtin_kinds_validate_against_the_kubernetes_schemas(
    rendered: dict[str, list[Document]], target: str
) -> None:
    validated = 0
    for document in rendered[target]:
        if "." in document["apiVersion"].split("/")[0] and "k8s.io" not in document["apiVersion"]:
            continue  # a custom resource: see test_cloudnative_pg_resources_*
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(
                f"{target}: {document['kind']}/{document['metadata']['name']} at {where}: "
                f"{error.message}"
            )
        validated += 1
    assert validated >= 20, f"{target}: only {validated} resources validated"


def test_strict_validation_rejects_an_unknown_field(rendered: dict[str, list[Document]]) -> None:
    """The schema check can fail: a misspelt field is an error, not silently ignored."""
    deployment = json.loads(json.dumps(find(rendered["base"], "Deployment", "staffing")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_renderer_refuses_a_patch_of_a_missing_path() -> None:
    document: Document = {"spec": {"replicas": 1}}
    json_patch(document, {"op": "replace", "path": "/spec/replicas", "value": 3})
    assert document == {"spec": {"replicas": 3}}
    with pytest.raises(KustomizeError):
        json_patch(document, {"op": "replace", "path": "/spec/paused", "value": True})


def test_every_manifest_file_is_rendered_somewhere(rendered: dict[str, list[Document]]) -> None:
    """No orphan file: each YAML file under deploy/k8s is a resource, a patch or a kustomization."""
    named: set[Path] = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        named.add(kustomization)
        spec = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        for entry in spec.get("resources", []):
            named.add((kustomization.parent / entry).resolve())
        for patch in spec.get("patches", []):
            if "path" in patch:
                named.add((kustomization.parent / patch["path"]).resolve())
    files = {path.resolve() for path in K8S.rglob("*.yaml")}
    assert files <= named, f"not used by any kustomization: {sorted(map(str, files - named))}"


# --- the teacherpool workloads ----------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_each_process_has_deployment_service_pdb_and_autoscaler(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    workloads = teacherpool_workloads(documents)
    assert set(workloads) == {*PROCESSES, "migrate"}, sorted(workloads)
    for name in PROCESSES:
        deployment = find(documents, "Deployment", name)
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{name}: the selector misses its own pods"
        assert "replicas" not in deployment["spec"], (
            f"{name}: spec.replicas fights the HorizontalPodAutoscaler on every apply"
        )
        rolling = deployment["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0, f"{name}: a rollout may drop below capacity"
        service = find(documents, "Service", name)
        assert service["spec"]["selector"].items() <= labels.items(), (
            f"{name}: Service selects no pod"
        )
        pdb = find(documents, "PodDisruptionBudget", name)
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        hpa = find(documents, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }, f"{name}: the autoscaler scales {hpa['spec']['scaleTargetRef']}"
        low, high = hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]
        assert 1 <= low <= high, f"{name}: replicas {low}..{high}"
        if "maxUnavailable" not in pdb["spec"]:
            assert pdb["spec"]["minAvailable"] < low, f"{name}: the PDB blocks every node drain"


@pytest.mark.parametrize("target", TARGETS)
def test_every_tp_variable_is_read_by_the_settings(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    for name, (_, container) in teacherpool_workloads(documents).items():
        env = environment(container, documents)
        # A variable another one names as $(VAR) is read by the kubelet, into that one.
        values = [v for v in env.values() if isinstance(v, str)]
        referenced = {r for v in values for r in re.findall(r"\$\((\w+)\)", v)}
        for variable in env:
            if variable in referenced:
                continue
            assert variable.startswith("TP_"), f"{name} sets {variable}, which nothing reads"
            problem = unread(name, variable)
            assert problem is None, f"{target}: {problem}"


@pytest.mark.parametrize("target", TARGETS)
def test_probes_point_at_healthz_and_readyz_on_the_listening_port(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    workloads = teacherpool_workloads(documents)
    for name in PROCESSES:
        _, container = workloads[name]
        env = environment(container, documents)
        prefix = f"TP_{name.upper()}_"
        assert env.get(f"{prefix}HOST") == "0.0.0.0", f"{name} does not listen on all interfaces"
        port = int(env[f"{prefix}PORT"])
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{name}: {probe} asks {get['path']}, not {path}"
            probed = ports.get(get["port"], get["port"])
            assert probed == port, f"{name}: {probe} probes port {probed}, {prefix}PORT is {port}"
        service = find(documents, "Service", name)
        (service_port,) = service["spec"]["ports"]
        target_port = ports.get(service_port["targetPort"], service_port["targetPort"])
        assert target_port == port, f"{name}: the Service sends to {target_port}, not {port}"


def test_gateway_reaches_the_services_and_everyone_reaches_nats(
    rendered: dict[str, list[Document]],
) -> None:
    documents = rendered["production"]
    workloads = teacherpool_workloads(documents)
    gateway = environment(workloads["gateway"][1], documents)
    for name in SERVICES:
        url = urlsplit(gateway[f"TP_GATEWAY_{name.upper()}_URL"])
        service = find(documents, "Service", url.hostname or "")
        assert service["metadata"]["name"] == name, f"the gateway sends {name} to {url.hostname}"
        assert url.port == service["spec"]["ports"][0]["port"], f"{name}: wrong port {url.port}"
    nats_service = find(documents, "Service", "nats")
    for name in PROCESSES:
        env = environment(workloads[name][1], documents)
        url = urlsplit(env["TP_NATS_URL"])
        assert (url.scheme, url.hostname) == ("tls", "nats"), f"{name}: TP_NATS_URL is {url}"
        assert url.port == nats_service["spec"]["ports"][0]["port"], f"{name}: NATS port"
        # its own user, the password from the Secret the NATS servers read it from too
        assert (url.username, url.password) == (name, "$(NATS_PASSWORD)"), f"{name}: {url}"
        secret = {"name": "teacherpool-nats-users", "key": name}
        assert env["NATS_PASSWORD"] == {"secretKeyRef": secret}, f"{name}: NATS password"
        assert env["TP_NATS_TLS_CA_FILE"].startswith("/run/secrets/"), f"{name}: no NATS CA"


@pytest.mark.parametrize("target", TARGETS)
def test_every_pod_is_non_root_read_only_and_without_capabilities(
    rendered: dict[str, list[Document]], target: str
) -> None:
    pods = [d for d in rendered[target] if pod_spec(d) is not None]
    assert len(pods) >= 6, f"{target}: {len(pods)} workloads"
    for document in pods:
        where = f"{target}: {document['kind']}/{document['metadata']['name']}"
        spec = pod_spec(document)
        assert spec is not None
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, f"{where} may run as root"
        assert pod.get("runAsUser", 0) != 0, f"{where} runs as uid 0"
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp"
        assert spec.get("automountServiceAccountToken") is False, f"{where} mounts an API token"
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), f"{where}: host namespaces"
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers(document):
            context = container.get("securityContext", {})
            label = f"{where} container {container['name']}"
            assert context.get("readOnlyRootFilesystem") is True, f"{label}: writable root"
            assert context.get("allowPrivilegeEscalation") is False, f"{label}: may escalate"
            assert context.get("capabilities", {}).get("drop") == ["ALL"], f"{label}: capabilities"
            assert not context.get("capabilities", {}).get("add"), f"{label} adds capabilities"
            assert not context.get("privileged"), f"{label} is privileged"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), (
                    f"{label}: no cpu and memory {kind}"
                )
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{label}: no writable /tmp"
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{label}: /tmp is not an emptyDir"


# --- secrets ---------------------------------------------------------------------------


def deploy_yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_no_secret_value_anywhere_in_deploy() -> None:
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and "secrets" not in p.parts]
    assert deploy_yaml_files(), "no manifests found"
    credentials_in_url = re.compile(r"\w+://[^/\s:@]+:[^/\s@$]+@")
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "-----BEGIN" not in text, f"{path} holds key material"
        assert not credentials_in_url.search(text), f"{path} holds a URL with a password"
    for path in deploy_yaml_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict):
                assert document.get("kind") != "Secret", (
                    f"{path}: a Secret with its value; create it in the cluster instead"
                )


@pytest.mark.parametrize("target", TARGETS)
def test_credentials_come_from_secret_references_only(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    for name, data in config_maps(documents).items():
        sensitive = [key for key in data if SENSITIVE.search(key)]
        assert not sensitive, f"{target}: ConfigMap {name} holds credentials {sensitive}"
    for document in documents:
        for container in containers(document):
            for variable in container.get("env", []):
                if not SENSITIVE.search(variable["name"]) or variable["name"].endswith("_FILE"):
                    continue
                assert "secretKeyRef" in variable.get("valueFrom", {}), (
                    f"{target}: {container['name']} sets {variable['name']} without a Secret"
                )
    for name, (document, container) in teacherpool_workloads(documents).items():
        env = environment(container, documents)
        spec = pod_spec(document)
        assert spec is not None
        mounted = {
            item["key"]
            for volume in spec.get("volumes", [])
            if "secret" in volume
            for item in volume["secret"].get("items", [])
        }
        if name == "gateway":
            assert "TP_AUTH_PRIVATE_KEY_FILE" in env, "the gateway has no signing key"
            assert "gateway-ed25519.pem" in mounted, "the gateway does not mount its private key"
        else:
            assert "TP_AUTH_PRIVATE_KEY_FILE" not in env, f"{name} must not know the private key"
            assert "gateway-ed25519.pem" not in mounted, f"{name} must not get the private key"
        assert "gateway-ed25519.pub.pem" in mounted, f"{name} cannot verify the gateway's tokens"


@pytest.fixture
def stand_ins(tmp_path: Path) -> dict[str, str]:
    """Values standing in for the Secrets of the cluster, and key files for the mounts."""
    private, public = tmp_path / "gateway-ed25519.pem", tmp_path / "gateway-ed25519.pub.pem"
    generate_keypair(private, public)
    key = base64.b64encode(os.urandom(32)).decode()
    values = {
        f"teacherpool-{name}-database/url": (
            f"postgresql+asyncpg://{name}:stand-in@teacherpool-pg-rw:5432/{name}"
        )
        for name in DATABASES
    }
    values["teacherpool-talent-pii/pii-keys"] = json.dumps({"k1": key})
    values["teacherpool-talent-pii/pii-hash-key"] = base64.b64encode(os.urandom(32)).decode()
    for name in PROCESSES:
        values[f"teacherpool-nats-users/{name}"] = os.urandom(16).hex()
    values["dir"] = str(tmp_path)
    return values


def expand(value: str, resolved: dict[str, str]) -> str:
    """`$(VAR)` in an env value, as the kubelet expands it from the variables before it."""
    return re.sub(r"\$\((\w+)\)", lambda m: resolved.get(m[1], m[0]), value)


@pytest.mark.parametrize("target", ["dev", "production"])
@pytest.mark.parametrize("name", [*PROCESSES, "migrate"])
def test_settings_validate_in_production_from_the_manifests(
    rendered: dict[str, list[Document]],
    stand_ins: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    name: str,
) -> None:
    for variable in list(os.environ):
        if variable.upper().startswith("TP_"):
            monkeypatch.delenv(variable)
    documents = rendered[target]
    _, container = teacherpool_workloads(documents)[name]
    secret_mounts = {m["mountPath"] for m in container["volumeMounts"] if m["name"] != "tmp"}
    resolved: dict[str, str] = {}
    for variable, value in environment(container, documents).items():
        if isinstance(value, dict):
            ref = value["secretKeyRef"]
            value = stand_ins[f"{ref['name']}/{ref['key']}"]
        elif variable.endswith("_FILE"):
            mount = os.path.dirname(value)
            assert mount in secret_mounts, f"{name}: {variable} is not on a mounted Secret"
            value = os.path.join(stand_ins["dir"], os.path.basename(value))
        resolved[variable] = expand(str(value), resolved)
        monkeypatch.setenv(variable, resolved[variable])
    for cls in READS[name].values():
        settings: Any = cls()
        assert settings.common.is_production, f"{name}: {cls.__name__} is not in production"
        assert settings.database_url.startswith("postgresql+asyncpg://"), settings.database_url
        load_verifier(settings.common, "staffing")
        if name == "gateway":
            load_signer(settings.common)
        if name in PROCESSES:
            url = urlsplit(settings.common.nats_url_for(name))
            password = stand_ins[f"teacherpool-nats-users/{name}"]
            assert (url.username, url.password) == (name, password)


# --- replication, NATS and PostgreSQL ----------------------------------------------------


@pytest.mark.parametrize(("target", "replicas"), [("dev", 1), ("production", 3)])
def test_stream_replication_fits_the_nats_cluster(
    rendered: dict[str, list[Document]], target: str, replicas: int
) -> None:
    documents = rendered[target]
    for name, (_, container) in teacherpool_workloads(documents).items():
        configured = environment(container, documents)["TP_NATS_STREAM_REPLICAS"]
        assert int(configured) == replicas, f"{target}: {name} makes streams of {configured}"
    nats = find(documents, "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3, "JetStream needs three nodes for a quorum"
    assert replicas <= nats["spec"]["replicas"], "more stream replicas than NATS nodes"


def _nats_config_files(documents: list[Document]) -> dict[str, str]:
    nats = find(documents, "StatefulSet", "nats")
    spec = pod_spec(nats)
    assert spec is not None
    (volume,) = [v for v in spec["volumes"] if v["name"] == "config"]
    return config_maps(documents)[volume["configMap"]["name"]]


def _nats_conf(documents: list[Document]) -> str:
    return _nats_config_files(documents)["nats.conf"]


def test_nats_cluster_config_routes_to_every_node_and_fsyncs(
    rendered: dict[str, list[Document]], tmp_path: Path
) -> None:
    documents = rendered["production"]
    conf = _nats_conf(documents)
    nats = find(documents, "StatefulSet", "nats")
    headless = nats["spec"]["serviceName"]
    assert find(documents, "Service", headless)["spec"]["clusterIP"] == "None"
    routes = set(re.findall(r"nats://([\w.-]+):6222", conf))
    expected = {f"nats-{i}.{headless}" for i in range(nats["spec"]["replicas"])}
    assert routes == expected, f"routes {sorted(routes)}, pods {sorted(expected)}"
    assert re.search(r"^\s*sync_interval\s*:\s*always\s*$", conf, re.M), "no fsync per write"
    store = re.search(r"^\s*store_dir\s*:\s*(\S+)\s*$", conf, re.M)
    assert store, "no JetStream store_dir"
    (container,) = containers(nats)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in nats["spec"]["volumeClaimTemplates"]}
    assert mounts.get(store[1]) in claims, f"store_dir {store[1]} is not on a persistent volume"
    # The TLS Secret's files, and the users' passwords from the Secret, as the pod has them.
    (tls,) = [m["mountPath"] for m in container["volumeMounts"] if m["name"] == "tls"]
    certificates = make_certificates(tmp_path / "tls", ("nats", "nats-0.nats-headless"))
    for file, made in (
        ("tls.crt", certificates.cert),
        ("tls.key", certificates.key),
        ("ca.crt", certificates.ca),
    ):
        conf = conf.replace(f"{tls}/{file}", str(made))
    path = tmp_path / "nats.conf"
    path.write_text(conf, encoding="utf-8")
    for name, text in _nats_config_files(documents).items():
        if name != "nats.conf":
            (tmp_path / name).write_text(text, encoding="utf-8")
    passwords = {
        v["name"]: os.urandom(8).hex()
        for v in container["env"]
        if v.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "teacherpool-nats-users"
    }
    assert set(passwords) == {password_variable(s) for s in PROCESSES}, passwords
    result = subprocess.run(
        [nats_binary(), "-c", str(path), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "POD_NAME": "nats-0", **passwords},
    )
    assert result.returncode == 0, f"nats-server rejects the config: {result.stderr}"


def test_nats_serves_clients_and_routes_over_tls_with_the_users_the_code_defines(
    rendered: dict[str, list[Document]],
) -> None:
    conf = _nats_conf(rendered["production"])
    assert 'include "nats-auth.conf"' in conf
    blocks = re.findall(r"^\s*tls\s*\{([^}]*)\}", conf, re.M)
    assert len(blocks) == 2, "TLS for the clients and for the routes"
    assert re.search(r"verify\s*:\s*true", blocks[1]), "routes must show a certificate"
    auth = _nats_config_files(rendered["production"])["nats-auth.conf"]
    assert auth[auth.index("authorization {") :] == authorization_block_from_environment()
    compose = (DEPLOY / "nats" / "auth.conf").read_text(encoding="utf-8")
    assert compose[compose.index("authorization {") :] == authorization_block_from_environment()


@pytest.mark.parametrize("target", ["base", "production"])
def test_cloudnative_pg_cluster_has_three_instances_and_a_database_per_service(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    clusters = [d for d in documents if d["kind"] == "Cluster"]
    assert [c["apiVersion"] for c in clusters] == ["postgresql.cnpg.io/v1"], clusters
    cluster = clusters[0]
    spec = cluster["spec"]
    assert spec["instances"] == 3, "PostgreSQL needs a primary and two standbys"
    assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1}
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    initdb = spec["bootstrap"]["initdb"]
    owners = {initdb["database"]: initdb["owner"]}
    assert initdb["secret"]["name"], "the first database's owner has no password Secret"
    roles = {role["name"]: role for role in spec["managed"]["roles"]}
    for database in (d for d in documents if d["kind"] == "Database"):
        assert database["apiVersion"] == "postgresql.cnpg.io/v1"
        assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        owners[database["spec"]["name"]] = database["spec"]["owner"]
    assert set(owners) == set(DATABASES), f"databases {sorted(owners)}, services {DATABASES}"
    for database, owner in owners.items():
        assert owner == database, f"{database} is owned by {owner}: one role per service"
        if owner != initdb["owner"]:
            assert roles[owner]["login"] is True and roles[owner]["passwordSecret"]["name"]
    store = spec["backup"]["barmanObjectStore"]
    assert store["wal"]["compression"], "WAL archiving (point-in-time recovery) is off"
    for credential in store["s3Credentials"].values():
        assert set(credential) == {"name", "key"}, "object-store credentials must be references"
    backups = [d for d in documents if d["kind"] == "ScheduledBackup"]
    assert backups and backups[0]["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert len(backups[0]["spec"]["schedule"].split()) == 6, "CNPG schedules have six fields"


def test_database_secrets_name_the_cnpg_databases(rendered: dict[str, list[Document]]) -> None:
    documents = rendered["production"]
    workloads = teacherpool_workloads(documents)
    _, migrate = workloads["migrate"]
    env = environment(migrate, documents)
    for database in DATABASES:
        ref = env[f"TP_{database.upper()}_DATABASE_URL"]["secretKeyRef"]
        assert ref == {"name": f"teacherpool-{database}-database", "key": "url"}, ref
        if database in PROCESSES:
            own = environment(workloads[database][1], documents)
            assert (
                own[f"TP_{database.upper()}_DATABASE_URL"]
                == env[f"TP_{database.upper()}_DATABASE_URL"]
            ), f"{database} and the migrations use different databases"


def test_release_renames_the_migration_job_with_the_image_tag(
    rendered: dict[str, list[Document]],
) -> None:
    """A Job's pod template is immutable: each release needs a Job of its own name."""
    documents = rendered["production"]
    job, container = teacherpool_workloads(documents)["migrate"]
    assert job["kind"] == "Job" and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    tag = container["image"].rpartition(":")[2]
    slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
    assert job["metadata"]["name"] == f"teacherpool-migrate-{slug}", (
        f"the Job is {job['metadata']['name']} but the image is {tag}: change both together"
    )
    for name in PROCESSES:
        (deployed,) = find(documents, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert deployed["image"] == container["image"], f"{name} runs another image than migrate"


# --- NetworkPolicies ----------------------------------------------------------------------


def _matches(selector: Document, labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions In/NotIn/Exists) against labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
    return True


class Pod:
    """Where a connection comes from or goes to: its namespace, labels and named ports."""

    def __init__(self, namespace: str, labels: dict[str, str], ports: dict[str, int]) -> None:
        self.namespace, self.labels, self.ports = namespace, labels, ports


def _pods(documents: list[Document]) -> dict[str, Pod]:
    namespace = next(d["metadata"]["namespace"] for d in documents if d["kind"] == "Deployment")
    pods = {}
    for document in documents:
        spec = pod_spec(document)
        if spec is None or document["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        labels = document["spec"]["template"]["metadata"]["labels"]
        ports = {
            p["name"]: p["containerPort"] for c in containers(document) for p in c.get("ports", [])
        }
        pods[labels["app.kubernetes.io/name"]] = Pod(namespace, labels, ports)
    pods["postgres"] = Pod(namespace, {"cnpg.io/cluster": "teacherpool-pg"}, {"postgresql": 5432})
    pods["other"] = Pod(namespace, {"app.kubernetes.io/name": "debug"}, {})
    pods["elsewhere"] = Pod("default", {"app.kubernetes.io/name": "gateway"}, {})
    pods["ingress"] = Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, {})
    return pods


def _allowed(policies: list[Document], source: Pod, target: Pod, port: int) -> bool:
    """Whether the ingress policies let `source` reach `target` on `port`."""
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"]
        and p["metadata"]["namespace"] == target.namespace
        and _matches(p["spec"]["podSelector"], target.labels)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = [target.ports.get(p["port"], p["port"]) for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            for peer in rule.get("from", []):
                namespace_ok = (
                    _matches(
                        peer["namespaceSelector"],
                        {"kubernetes.io/metadata.name": source.namespace},
                    )
                    if "namespaceSelector" in peer
                    else source.namespace == policy["metadata"]["namespace"]
                )
                pods_ok = _matches(peer.get("podSelector", {}), source.labels)
                if namespace_ok and pods_ok:
                    return True
    return False


@pytest.mark.parametrize("target", ["dev", "production"])
def test_network_policies_let_through_only_the_flows_of_the_design(
    rendered: dict[str, list[Document]], target: str
) -> None:
    documents = rendered[target]
    policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
    pods = _pods(documents)
    service_ports = zip(SERVICES, (8001, 8002, 8003), strict=True)
    flows = {
        ("ingress", "gateway", 8000),
        *(("gateway", service, port) for service, port in service_ports),
        *((process, "nats", 4222) for process in PROCESSES),
        ("nats", "nats", 6222),
        *((process, "postgres", 5432) for process in (*PROCESSES, "teacherpool-migrate")),
    }
    ports = {"gateway": 8000, "staffing": 8001, "sharing": 8002, "talent": 8003}
    ports |= {"nats": 4222, "postgres": 5432}
    assert {*PROCESSES, "nats", "teacherpool-migrate"} <= set(pods)
    checked = 0
    for source in pods:
        for destination, port in [*ports.items(), ("nats", 6222)]:
            if source == destination and port != 6222:
                continue
            wanted = (source, destination, port) in flows
            got = _allowed(policies, pods[source], pods[destination], port)
            assert got == wanted, (
                f"{target}: {source} → {destination}:{port} is "
                f"{'allowed' if got else 'refused'}, the design says "
                f"{'allowed' if wanted else 'refused'}"
            )
            checked += 1
    assert checked > 50
