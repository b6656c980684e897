"""The deployment examples (`examples/deploy/`) run commands the CLI accepts, and agree with one another: every
`journeymock` command parses with the CLI's own parser, serves over PostgreSQL with several replicas, and its
port, database and credentials are the ones the load balancer, the database and the Secret use."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.cli import build_parser
from mockserver.store import DatabaseUrl

DEPLOY = Path(__file__).resolve().parent.parent / "examples" / "deploy"


def parse_journeymock(arguments: list[str]) -> argparse.Namespace:
    """The arguments as `journeymock` would read them; a usage error fails the test with argparse's message."""
    parser = build_parser()

    def refuse(message: str) -> None:
        pytest.fail(f"journeymock {' '.join(arguments)}: {message}")

    parser.error = refuse
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for subparser in getattr(action, "choices", {}).values():
            subparser.error = refuse
    return parser.parse_args(arguments)


def entrypoint() -> list[str]:
    match = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert match, "the Dockerfile has no exec-form ENTRYPOINT"
    return list(yaml.safe_load(match.group(1)))


def assert_serves_replicas_over_postgres(served: argparse.Namespace) -> DatabaseUrl:
    assert served.run.__name__ == "_run_serve"
    assert served.host == "0.0.0.0", "a replica behind a load balancer must listen beyond loopback"
    assert isinstance(served.state_path, DatabaseUrl), served.state_path
    return served.state_path


def test_the_image_runs_journeymock():
    assert entrypoint() == ["journeymock"]
    default = re.search(r"^CMD\s+(\[.*\])\s*$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert default
    assert parse_journeymock(list(yaml.safe_load(default.group(1)))).run.__name__ == "_run_serve"


def test_compose_runs_replicas_over_its_postgres_behind_the_balancer():
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    mock = services["journeymock"]
    assert mock["build"]["dockerfile"] == "examples/deploy/Dockerfile"
    served = parse_journeymock([str(argument) for argument in mock["command"]])
    state = assert_serves_replicas_over_postgres(served)
    assert mock["deploy"]["replicas"] >= 2

    database = re.match(r"postgres(?:ql)?://([^:@]+):([^@]+)@([^:/]+):(\d+)/(\w+)$", state.url)
    assert database, state.url
    user, password, host, port, name = database.groups()
    postgres = services[host]
    assert postgres["image"].startswith("postgres:")
    assert postgres["environment"] == {"POSTGRES_USER": user, "POSTGRES_PASSWORD": password, "POSTGRES_DB": name}
    assert port == "5432"
    assert mock["depends_on"][host]["condition"] == "service_healthy"

    nginx = (DEPLOY / "nginx.conf").read_text()
    assert re.search(rf"^\s*server journeymock:{served.port};", nginx, re.MULTILINE), "nginx must reach --port"
    balancer = services["balancer"]
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in balancer["volumes"]
    assert any(mapping.endswith(f":{served.port}") for mapping in balancer["ports"])


def kubernetes_documents() -> dict[str, dict[str, Any]]:
    return {document["kind"]: document for document in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text())}


def expand(text: str, environment: dict[str, str]) -> str:
    """Kubernetes' `$(NAME)` expansion of container arguments."""
    return re.sub(r"\$\((\w+)\)", lambda match: environment[match.group(1)], text)


def test_kubernetes_runs_replicas_over_the_database_its_secret_names(client):
    documents = kubernetes_documents()
    secret, deployment, service = documents["Secret"], documents["Deployment"], documents["Service"]
    assert deployment["spec"]["replicas"] >= 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    environment: dict[str, str] = {}
    for variable in container["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["name"] == secret["metadata"]["name"]
        environment[variable["name"]] = secret["stringData"][reference["key"]]
    assert "JOURNEYMOCK_ADMIN_TOKEN" in environment
    arguments = [expand(str(argument), environment) for argument in container["args"]]
    served = parse_journeymock([*entrypoint()[1:], *arguments])
    assert_serves_replicas_over_postgres(served)

    (port,) = container["ports"]
    assert port["containerPort"] == served.port
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    probe = container["readinessProbe"]["httpGet"]
    assert probe["port"] == port["name"]
    headers = {header["name"]: header["value"] for header in probe["httpHeaders"]}
    assert client.get(probe["path"], headers=headers).status_code == 200


def test_an_argument_the_cli_does_not_know_fails_the_check():
    with pytest.raises(pytest.fail.Exception, match="unrecognized arguments: --replicas"):
        parse_journeymock(["serve", "--replicas", "3"])
