"""The `teacherpool` command: up, serve, migrate, seed, token, asyncapi, reconcile."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Sequence
from pathlib import Path

SERVE_TARGETS = ("staffing", "sharing", "talent", "gateway")


def _serve(name: str) -> int:
    import uvicorn

    from common.observability import configure_logging

    if name == "gateway":
        from gateway.app import create_app as create_gateway
        from gateway.settings import GatewaySettings

        gateway_settings = GatewaySettings()
        common, host, port = gateway_settings.common, gateway_settings.host, gateway_settings.port
        app = create_gateway(gateway_settings)
    else:
        module = __import__(f"services.{name}.app", fromlist=["create_app"])
        settings_module = __import__(f"services.{name}.settings", fromlist=["x"])
        settings_cls = getattr(settings_module, f"{name.capitalize()}Settings")
        settings = settings_cls()
        common, host, port = settings.common, settings.host, settings.port
        app = module.create_app(settings)
    configure_logging(name, level=common.log_level, json_logs=common.log_json)
    # What start-up made lives as long as the process: keep the collector from walking it again
    # and again under load.
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # The gateway applies TP_GATEWAY_FORWARDED_ALLOW_IPS itself; nothing else trusts a proxy.
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        # Longer than the gateway keeps an idle connection, so it is always the gateway that
        # closes one and never sends a request down a connection being closed.
        timeout_keep_alive=65,
    )
    return 0


def _nats_users(out: Path | None, url: str | None, print_config: bool) -> int:
    """`auth.conf` for nats-server (`include auth.conf`) and one URL file per service, each
    readable by its owner only: the operator puts each URL into that service's secret. Or,
    with --print-config, the users with passwords read from the server's environment."""
    from common.natsauth import authorization_block_from_environment, write_users
    from common.settings import CommonSettings

    if print_config:
        print(authorization_block_from_environment(), end="")
        return 0
    if out is None:
        print("nats-users: --out DIR or --print-config", file=sys.stderr)
        return 2
    write_users(out, url or CommonSettings().nats_url)
    print(f"wrote auth.conf and <service>.url for each service to {out}")
    return 0


def _migrate() -> int:
    from teacherpool.launcher import migrate_all

    for service in migrate_all():
        print(f"{service}: at head")
    return 0


def _seed(demo: bool, scale: str, seed: int) -> int:
    from common.settings import CommonSettings
    from teacherpool.launcher import database_urls, seed_demo_city

    if not demo:
        print("nothing to seed: pass --demo for the demo city", file=sys.stderr)
        return 2
    if CommonSettings().is_production:
        print("refusing to seed demo data in production", file=sys.stderr)
        return 2
    done = asyncio.run(seed_demo_city(database_urls(), scale=scale, seed=seed))
    print("\n".join(done) if done else "every database already has data; nothing seeded")
    return 0


def _token(username: str) -> int:
    from common.settings import CommonSettings
    from gateway.demo_accounts import DEMO_ACCOUNTS
    from gateway.seed import demo_api_token
    from gateway.settings import GatewaySettings

    if CommonSettings().is_production:
        print("demo accounts do not exist in production", file=sys.stderr)
        return 2
    if username not in DEMO_ACCOUNTS:
        print(
            f"unknown demo account {username!r}; one of: {', '.join(DEMO_ACCOUNTS)}",
            file=sys.stderr,
        )
        return 2
    print(asyncio.run(demo_api_token(GatewaySettings(), username)))
    return 0


def _asyncapi(output: str | None) -> int:
    from contracts.asyncapi import build

    text = json.dumps(build(), ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    return 0


def _staffing_verify() -> int:
    from services.staffing.ledger.service import verify_database
    from services.staffing.settings import StaffingSettings

    differences = asyncio.run(verify_database(StaffingSettings().database_url))
    for difference in differences:
        print(difference)
    print(f"{len(differences)} difference(s)" if differences else "every balance agrees")
    return 1 if differences else 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="teacherpool", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start NATS, every service and the gateway")
    up.add_argument("--no-seed", action="store_true", help="do not seed the demo city")
    up.add_argument("--scale", choices=("demo", "city"), default="demo")
    up.add_argument(
        "--ready-timeout",
        type=float,
        default=None,
        help="seconds the started processes have to become ready (default 60; more on a busy"
        " machine)",
    )
    serve = sub.add_parser("serve", help="run one service (for containers)")
    serve.add_argument("service", choices=SERVE_TARGETS)
    sub.add_parser("migrate", help="upgrade every service's database to the newest schema")
    seed = sub.add_parser("seed", help="seed the demo city into empty databases")
    seed.add_argument("--demo", action="store_true")
    seed.add_argument("--scale", choices=("demo", "city"), default="demo")
    seed.add_argument("--seed", type=int, default=2023)
    token = sub.add_parser("token", help="print a gateway bearer token for a demo account")
    token.add_argument("username")
    asyncapi = sub.add_parser("asyncapi", help="print the AsyncAPI document of all events")
    asyncapi.add_argument("-o", "--output")
    reconcile = sub.add_parser(
        "reconcile",
        help="compare every hand-over between the services; non-zero exit on any discrepancy",
    )
    reconcile.add_argument(
        "--gateway", help="read through this gateway (with --token) instead of the services"
    )
    reconcile.add_argument("--token", help="a city HR or auditor bearer token for --gateway")
    reconcile.add_argument(
        "--grace",
        type=float,
        default=120.0,
        help="seconds a discrepancy may wait for events in flight before it is an error",
    )
    reconcile.add_argument(
        "--wait", type=float, default=0.0, help="look again for up to this many seconds"
    )
    reconcile.add_argument("--json", action="store_true", help="print JSON")
    users = sub.add_parser(
        "nats-users",
        help="write NATS users with per-service permissions and each service's TP_NATS_URL",
    )
    users.add_argument("--out", default=None, help="a folder for auth.conf and <service>.url")
    users.add_argument(
        "--print-config",
        action="store_true",
        help="print the users with each password read from $NATS_<SERVICE>_PASSWORD",
    )
    users.add_argument("--url", default=None, help="the NATS URL services use (TP_NATS_URL)")
    staffing = sub.add_parser("staffing", help="staffing service tools")
    staffing_sub = staffing.add_subparsers(dest="staffing_command", required=True)
    staffing_sub.add_parser("verify", help="recompute every balance from the ledger")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "up":
        from teacherpool.launcher import up

        return up(seed_demo=not args.no_seed, scale=args.scale, ready_timeout=args.ready_timeout)
    if args.command == "serve":
        return _serve(args.service)
    if args.command == "migrate":
        return _migrate()
    if args.command == "seed":
        return _seed(args.demo, args.scale, args.seed)
    if args.command == "token":
        return _token(args.username)
    if args.command == "asyncapi":
        return _asyncapi(args.output)
    if args.command == "reconcile":
        from gateway.reconciliation.command import run

        return run(
            gateway=args.gateway,
            token=args.token,
            grace_seconds=args.grace,
            wait_seconds=args.wait,
            json_output=args.json,
        )
    if args.command == "nats-users":
        return _nats_users(Path(args.out) if args.out else None, args.url, args.print_config)
    if args.command == "staffing":
        return _staffing_verify()
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
