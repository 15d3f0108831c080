"""``creditdesk backend ...``: the operator commands, registered with the ``creditdesk`` CLI
through the ``creditdesk.commands`` entry point group (``backend = "backend.ops.cli:register"``)
so the domain package never imports backend code. Also runs alone:
``python -m backend.ops serve``.

- ``serve [--port N] [--outbox DIR]``: the local stack (see ``local.py``); one JSON line on
  stdout when ready: ``{"url", "api_key", "aws_endpoint", "outbox"}``; SIGTERM/SIGINT stop it,
  SIGUSR1 runs the hourly ``tick`` now.
- ``tenant create NAME [--sender ADDRESS] [--stack STACK]``: a tenant and its API key, with the
  AWS credentials of the shell (on the emulator when ``AWS_ENDPOINT_URL`` is set).
- ``redrive [--queue send|work] [--limit N]``: the dead letters back to their queue
  (``redrive.py``).
- ``package OUTDIR [--stage prod]``: the deployable CloudFormation template and zip.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from creditdesk.domain.errors import CreditdeskError


class OpsError(CreditdeskError):
    pass


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``backend`` command group to the ``creditdesk`` CLI."""
    b = sub.add_parser("backend", help="run the backend locally, manage tenants, package it",
                       description="Operator commands for the Creditdesk backend.")
    bs = b.add_subparsers(dest="backend_command", metavar="COMMAND",
                          parser_class=type(b))
    bs.required = True

    s = bs.add_parser("serve", help="run the backend on this machine (AWS emulator)",
                      description="Start the AWS emulator (moto) and the Creditdesk backend on "
                      "127.0.0.1 with a local tenant; print one JSON line with the URL and the "
                      "API key when ready; run until stopped (Ctrl-C, SIGTERM). Every e-mail "
                      "sent is written to the outbox folder as an .eml file.")
    s.add_argument("--port", type=int, default=0, help="the API's port (default: a free one)")
    s.add_argument("--outbox", type=Path, default=Path("creditdesk-outbox"),
                   help="folder for the sent mail (default: creditdesk-outbox)")
    s.add_argument("--tenant", default="Local tenant", help="the local tenant's name")
    s.add_argument("--sender", help="another sender address (or domain) to verify and use")
    s.add_argument("--no-schedule", action="store_true",
                   help="do not run the schedules (tick, nightly scores, weekly digest)")
    s.add_argument("--no-deliveries", action="store_true",
                   help="do not simulate SES delivery/bounce/complaint events")
    s.add_argument("-v", "--verbose", action="store_true", help="log each invocation")
    s.set_defaults(run=_serve)

    t = bs.add_parser("tenant", help="manage tenants",
                      description="Tenants and their API keys.")
    ts = t.add_subparsers(dest="tenant_command", metavar="COMMAND", parser_class=type(b))
    ts.required = True
    tc = ts.add_parser("create", help="create a tenant and print its API key (shown once)",
                       description="Create a tenant with the AWS credentials of this shell "
                       "(on the emulator when AWS_ENDPOINT_URL is set) and print "
                       '{"tenant", "api_key"}. The key is shown once; only its hash is stored.')
    tc.add_argument("name")
    tc.add_argument("--sender", help="the tenant's SES sender identity (address or domain)")
    tc.add_argument("--stack", help="the CloudFormation stack deployed by 'chalice deploy' / "
                    "'aws cloudformation deploy' (its outputs name the table)")
    tc.set_defaults(run=_tenant_create)

    r = bs.add_parser("redrive", help="bring dead-lettered messages back to their queue",
                      description="Move the messages of the send (or work) queue's dead-letter "
                      "queue back to it, with the AWS credentials of this shell (on the "
                      "emulator when AWS_ENDPOINT_URL is set); their reminders are sent again "
                      "(once per reminder, as always). Prints "
                      '{"queue", "dead_letter_queue", "moved"}.')
    r.add_argument("--queue", choices=("send", "work"), default="send",
                   help="which queue's dead letters (default: send)")
    r.add_argument("--limit", type=int, default=None, help="move at most this many")
    r.set_defaults(run=_redrive)

    p = bs.add_parser("package", help="write the deployable template and zip",
                      description="Copy the app into build/backend/ with the domain package "
                      "as a wheel in vendor/, run 'chalice package' with infra/'s merge "
                      "template, and write "
                      "sam.json (CloudFormation) and deployment.zip into OUTDIR.")
    p.add_argument("outdir", type=Path)
    p.add_argument("--stage", default="dev", help="the stage in backend/.chalice/config.json "
                   "(default: dev)")
    p.add_argument("--region", default=None,
                   help="AWS region for the numpy layer (default: $AWS_DEFAULT_REGION, else "
                   "eu-west-2)")
    p.set_defaults(run=_package)


# -- serve --------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from .local import LocalStack, StackError

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.verbose:
        for name in ("backend.ops", "chalicelib"):
            logging.getLogger(name).setLevel(logging.INFO)
    stop = threading.Event()
    stack = LocalStack(port=args.port, outbox=args.outbox, tenant_name=args.tenant,
                       sender=args.sender, schedules=not args.no_schedule,
                       verbose=args.verbose, deliveries=not args.no_deliveries)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(
            target=stack.run_scheduled, args=("tick",), daemon=True).start())
    try:
        info = stack.start()
    except StackError as exc:
        raise OpsError(str(exc)) from None
    except OSError as exc:
        stack.stop()
        raise OpsError(f"cannot start the local backend: {exc}") from None
    try:
        ready = {k: info[k] for k in ("url", "api_key", "aws_endpoint", "outbox")}
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        print(f"Creditdesk backend on {info['url']} (AWS emulator {info['aws_endpoint']}); "
              f"mail goes to {info['outbox']}. Stop with Ctrl-C.", file=sys.stderr)
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    return 0


# -- tenant create ------------------------------------------------------------------------


def _stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    cfn = boto3.client("cloudformation")
    try:
        desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as exc:
        raise OpsError(f"cannot read the stack '{stack}': {exc}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}


def _tenant_create(args: argparse.Namespace) -> int:
    from .project import load_app

    if args.stack:
        out = _stack_outputs(args.stack)
        for var, key in (("CREDITDESK_TABLE", "TableName"), ("CREDITDESK_BUCKET", "BucketName")):
            if key in out:
                os.environ[var] = out[key]
    load_app()  # as Chalice loads it: chalicelib imports from here on
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services import tenancy

    try:
        tenant, api_key = tenancy.create_tenant(bootstrap(), args.name, sender=args.sender)
    except ValueError as exc:
        raise OpsError(str(exc)) from None
    except Exception as exc:  # botocore: no credentials, no table, endpoint down
        raise OpsError(f"cannot create the tenant: {type(exc).__name__}: {exc}") from None
    print(json.dumps({"tenant": tenant, "api_key": api_key}))
    return 0


# -- redrive ------------------------------------------------------------------------------


def _redrive(args: argparse.Namespace) -> int:
    from .project import load_app
    from .redrive import redrive

    if args.limit is not None and args.limit < 1:
        raise OpsError("--limit must be 1 or more")
    load_app()  # chalicelib (the queue names) imports from here on
    try:
        result = redrive(args.queue, args.limit)
    except Exception as exc:  # botocore: no credentials, no queue, endpoint down
        raise OpsError(f"cannot redrive the {args.queue} queue: {type(exc).__name__}: {exc}"
                       ) from None
    print(json.dumps(result))
    return 0


# -- package ------------------------------------------------------------------------------


def _package(args: argparse.Namespace) -> int:
    from .package import PackageError, package

    try:
        result: dict[str, Any] = package(args.outdir, stage=args.stage, region=args.region)
    except PackageError as exc:
        raise OpsError(str(exc)) from None
    print(json.dumps(result))
    return 0


# -- alone ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from creditdesk.cli.main import _Parser

    p = _Parser(prog="creditdesk")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    register(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = p.parse_args(["backend", *argv])
        return args.run(args)
    except CreditdeskError as exc:
        print(str(exc) if str(exc).startswith("creditdesk") else f"creditdesk backend: {exc}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
