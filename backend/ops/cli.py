"""``creditdesk backend ...``: the operator commands, registered with the ``creditdesk`` CLI
through the ``creditdesk.commands`` entry point group (``backend = "backend.ops.cli:register"``)
so the domain package never imports backend code. Also runs alone:
``python -m backend.ops serve``.

- ``serve [--port N] [--outbox DIR] [--now INSTANT]``: the local stack (see ``local.py``);
  one JSON line on stdout when ready: ``{"url", "api_key", "aws_endpoint", "outbox"}``, then the
  ``export CREDITDESK_URL=... CREDITDESK_API_KEY=...`` line to paste; SIGTERM/SIGINT stop it,
  SIGUSR1 runs the hourly ``tick`` now (``--now``: on a clock started at that instant).
- ``tenant create NAME [--sender ADDRESS]``, ``tenant delete TENANT``, ``key create|list|revoke
  TENANT``: tenants and API keys, with the AWS credentials of the shell (``--stack STACK``),
  or on the local stack (``--local AWS_ENDPOINT``, or ``AWS_ENDPOINT_URL`` set).
- ``redrive [--queue send|work] [--limit N]``: the dead letters back to their queue
  (``redrive.py``).
- ``package OUTDIR [--stage prod]``: the deployable CloudFormation template and zip.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from creditdesk.domain.errors import CreditdeskError

from .project import load_app


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
    s.add_argument("--now", type=_instant, metavar="YYYY-MM-DDTHH:MM[Z]",
                   help="start the handlers' clock at this instant (UTC unless an offset is "
                        "given) and run it on from there: to see a Statement Day or a Send "
                        "Window on another day. The schedules still fire on the real clock")
    s.add_argument("-v", "--verbose", action="store_true", help="log each invocation")
    s.set_defaults(run=_serve)

    _register_tenants(bs, type(b))
    _register_keys(bs, type(b))

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


def _instant(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date and time like "
                                         "2026-12-01T10:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


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
                       verbose=args.verbose, deliveries=not args.no_deliveries,
                       now=args.now)
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
        sys.stdout.write(json.dumps(ready) + "\n" + export_line(info) + "\n")
        sys.stdout.flush()
        print(f"Creditdesk backend on {info['url']} (AWS emulator {info['aws_endpoint']}); "
              f"mail goes to {info['outbox']}. Its state (tenants, keys, ledgers, history) "
              "lives in memory: it is gone when the backend stops. Stop with Ctrl-C.",
              file=sys.stderr)
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    print("Creditdesk backend stopped; its tenants, keys, ledgers and history were in memory "
          "and are gone (the outbox stays).", file=sys.stderr)
    return 0


def export_line(info: dict[str, str]) -> str:
    """The shell line that points ``creditdesk sync`` and ``send`` at the local stack."""
    import shlex

    return (f"export CREDITDESK_URL={shlex.quote(info['url'])} "
            f"CREDITDESK_API_KEY={shlex.quote(info['api_key'])}")


# -- tenants and keys: where they are ---------------------------------------------------------

TARGET_HELP = ("Against AWS with the shell's credentials and region (--stack names the "
               "deployed stack); against the local stack with --local AWS_ENDPOINT (the "
               "'aws_endpoint' that 'backend serve' prints) or with AWS_ENDPOINT_URL set.")


def _target_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--stack", help="the CloudFormation stack deployed by infra/deploy.sh (its "
                   "outputs name the table and the bucket)")
    g.add_argument("--local", metavar="AWS_ENDPOINT", help="the local stack's AWS emulator "
                   "('aws_endpoint' in the JSON line 'backend serve' prints)")


def _register_tenants(bs: argparse._SubParsersAction, parser_class: type) -> None:
    t = bs.add_parser("tenant", help="create or delete tenants",
                      description="Tenants and their data. " + TARGET_HELP)
    ts = t.add_subparsers(dest="tenant_command", metavar="COMMAND", parser_class=parser_class)
    ts.required = True
    tc = ts.add_parser("create", help="create a tenant and print its API key (shown once)",
                       description="Create a tenant and print {\"tenant\", \"key_id\", "
                       '"api_key"}. The key is shown once; only its hash is stored. '
                       + TARGET_HELP)
    tc.add_argument("name")
    tc.add_argument("--sender", help="the tenant's SES identity, an address or a domain "
                    "(required against AWS, where it must be verified; on the local stack it "
                    "is verified in the emulator)")
    tc.epilog = ("Against AWS, --stack is needed too: the tenant's API Gateway key goes into "
                 "the stack's usage plan (its throttle and quota apply per tenant).")
    _target_options(tc)
    tc.set_defaults(run=_tenant_create)
    td = ts.add_parser("delete", help="delete a tenant, its keys and all its data",
                       description="Delete the tenant's API keys, then every item and object "
                       "it stored (profile, snapshots, batches, claims, suppressions, history); "
                       "print what was deleted. Nothing is kept. " + TARGET_HELP)
    td.add_argument("tenant", help="the tenant id (as 'tenant create' printed it)")
    td.add_argument("--yes", action="store_true", help="delete without asking")
    _target_options(td)
    td.set_defaults(run=_tenant_delete)
    tp = ts.add_parser("plan", help="put a tenant's key into the API's usage plan (AWS)",
                       description="Make the tenant's API Gateway key and put it into the "
                       "stack's usage plan (output UsagePlanId), as 'tenant create' does; for a "
                       "tenant the API refuses with 'this tenant is not in the usage plan'. "
                       "Safe to run again.")
    tp.add_argument("tenant")
    _target_options(tp)
    tp.set_defaults(run=_tenant_plan)


def _register_keys(bs: argparse._SubParsersAction, parser_class: type) -> None:
    k = bs.add_parser("key", help="create, list and revoke a tenant's API keys",
                      description="A tenant's API keys: shown once when created, stored as a "
                      "SHA-256 hash, named by a key id (the hash's first 12 hex digits). "
                      "API Gateway caches a key's check for 5 minutes: a revoked key works "
                      "that long. " + TARGET_HELP)
    ks = k.add_subparsers(dest="key_command", metavar="COMMAND", parser_class=parser_class)
    ks.required = True
    kc = ks.add_parser("create", help="a new key for a tenant (shown once)",
                       description='Print {"tenant", "key_id", "api_key"}; the key is shown '
                       "this once. " + TARGET_HELP)
    kc.add_argument("tenant")
    kc.add_argument("--label", default="", help="what the key is for (e.g. 'Excel, Jo')")
    _target_options(kc)
    kc.set_defaults(run=_key_create)
    kl = ks.add_parser("list", help="a tenant's keys: id, label, created",
                       description="Print the tenant's keys as JSON lines {\"key_id\", "
                       '"label", "created_at"} (never a key). ' + TARGET_HELP)
    kl.add_argument("tenant")
    _target_options(kl)
    kl.set_defaults(run=_key_list)
    kr = ks.add_parser("revoke", help="revoke a key by its id",
                       description="Delete the key (by the key_id 'key list' shows). "
                       + TARGET_HELP)
    kr.add_argument("tenant")
    kr.add_argument("key_id")
    _target_options(kr)
    kr.set_defaults(run=_key_revoke)


def _stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    cfn = boto3.client("cloudformation")
    try:
        desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as exc:
        raise OpsError(f"cannot read the stack '{stack}': {exc}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}


def _use_target(args: argparse.Namespace) -> bool:
    """Point boto3 at the tenants' storage; True for the local stack (an emulator)."""
    from .local import FAKE_CREDENTIALS, REGION

    endpoint = getattr(args, "local", None) or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:  # the local stack: its region and, unless given, fake credentials
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        if args.local or not (os.environ.get("AWS_DEFAULT_REGION")
                              or os.environ.get("AWS_REGION")):
            os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = REGION
        if args.local or not os.environ.get("AWS_ACCESS_KEY_ID"):
            os.environ.pop("AWS_PROFILE", None)
            os.environ.update(FAKE_CREDENTIALS)
        return True
    import boto3

    if not boto3.session.Session().region_name:
        raise OpsError("no AWS region: set AWS_DEFAULT_REGION (or use --local AWS_ENDPOINT "
                       "for the local stack)")
    if args.stack:
        args.outputs = _stack_outputs(args.stack)
        for var, key in (("CREDITDESK_TABLE", "TableName"), ("CREDITDESK_BUCKET", "BucketName")):
            if key in args.outputs:
                os.environ[var] = args.outputs[key]
    return False


def _usage_plan(args: argparse.Namespace) -> str:
    """The stack's usage plan (AWS only): --stack is needed to find it."""
    plan = (getattr(args, "outputs", None) or {}).get("UsagePlanId")
    if not plan:
        raise OpsError("--stack STACK is required against AWS: its output UsagePlanId is the "
                       "usage plan each tenant's API Gateway key goes into")
    return plan


def _deps(args: argparse.Namespace) -> tuple[Any, bool]:
    local = _use_target(args)
    load_app()  # as Chalice loads it: chalicelib imports from here on
    from chalicelib.adapters import aws
    from chalicelib.bootstrap import bootstrap

    aws.reset()
    return bootstrap(), local


def _failed(what: str, exc: Exception, local: bool) -> OpsError:
    """A botocore failure as one line: no credentials, no table, the emulator down."""
    where = (f"the local stack's AWS emulator at {os.environ.get('AWS_ENDPOINT_URL')} "
             "(is 'creditdesk backend serve' running?)" if local else "AWS")
    return OpsError(f"cannot {what} on {where}: {type(exc).__name__}: {exc}")


def _print(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _tenant_create(args: argparse.Namespace) -> int:
    deps, local = _deps(args)
    from chalicelib.services import tenancy

    sender = (args.sender or "").strip()
    if not local and not sender:
        raise OpsError("--sender is required against AWS: the tenant's verified SES identity "
                       "(an address, or a domain whose addresses it sends from)")
    plan = None if local else _usage_plan(args)
    try:
        if sender:
            _check_sender(sender, local)
        tenant, api_key = tenancy.create_tenant(deps, args.name, sender=sender or None)
    except ValueError as exc:
        raise OpsError(str(exc)) from None
    except OpsError:
        raise
    except Exception as exc:
        raise _failed("create the tenant", exc, local) from None
    if plan:
        _plan_or_undo(deps, plan, tenant)
    _print({"tenant": tenant, "key_id": tenancy.key_id(api_key), "api_key": api_key})
    if not local:
        domain = sender if "@" not in sender else sender.split("@", 1)[1]
        print(f"Its mail goes From {sender}: the stack's SenderAddresses parameter must allow "
              f"it (e.g. *@{domain}); see docs/deploy.md.", file=sys.stderr)
    return 0


def _plan_or_undo(deps: Any, plan: str, tenant: str) -> None:
    """Put the new tenant's key into the usage plan; without it the API refuses the tenant
    (403), so a failure deletes the tenant again."""
    from chalicelib.adapters import aws
    from chalicelib.services import tenancy
    from chalicelib.services.tenant_erasure import erase_tenant

    from . import usage

    try:
        usage.register(aws.client("apigateway"), plan, tenant, tenancy.usage_key(tenant))
    except Exception as exc:
        erase_tenant(deps, tenant)
        raise OpsError(f"the tenant was not created: its key could not be put into the usage "
                       f"plan {plan}: {type(exc).__name__}: {exc}") from None


def _tenant_plan(args: argparse.Namespace) -> int:
    deps, local = _deps(args)
    if local:
        raise OpsError("the local stack has no usage plan: nothing to do")
    plan = _usage_plan(args)
    _existing_tenant(deps, args.tenant)
    from chalicelib.adapters import aws
    from chalicelib.services import tenancy

    from . import usage

    try:
        key = usage.register(aws.client("apigateway"), plan, args.tenant,
                             tenancy.usage_key(args.tenant))
    except Exception as exc:
        raise _failed("put the tenant into the usage plan", exc, local) from None
    _print({"tenant": args.tenant, "usage_plan": plan, "api_gateway_key": key})
    return 0


def _check_sender(sender: str, local: bool) -> None:
    """On the emulator, verify the sender; on AWS, refuse one SES has not verified."""
    from chalicelib.adapters import aws

    ses = aws.client("sesv2")
    if local:
        from .resources import _exists_ok

        _exists_ok(ses.create_email_identity, EmailIdentity=sender)
        return
    try:
        identity = ses.get_email_identity(EmailIdentity=sender)
    except ses.exceptions.NotFoundException:
        raise OpsError(f"{sender} is not an SES identity in this region: verify it in SES "
                       "first (docs/deploy.md)") from None
    if not (identity.get("VerifiedForSendingStatus")
            or identity.get("VerificationStatus") == "SUCCESS"):
        raise OpsError(f"{sender} is not verified in SES yet: finish its verification first")


def _tenant_delete(args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise OpsError("not deleted: add --yes to delete a tenant without a terminal")
        answer = input(f"Delete tenant {args.tenant}, its keys and all its data? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=sys.stderr)
            return 1
    deps, local = _deps(args)
    from chalicelib.adapters import aws
    from chalicelib.services.errors import NotFound
    from chalicelib.services.tenant_erasure import erase_tenant

    from . import usage

    if not local:
        _usage_plan(args)  # --stack: its key comes off the plan too
    try:
        counts = erase_tenant(deps, args.tenant)
        if not local:
            counts["api_gateway_keys"] = usage.unregister(aws.client("apigateway"),
                                                          args.tenant)
    except NotFound as exc:
        raise OpsError(exc.message) from None
    except Exception as exc:
        raise _failed("delete the tenant", exc, local) from None
    _print({"tenant": args.tenant, "deleted": counts})
    return 0


def _existing_tenant(deps: Any, tenant: str) -> None:
    from chalicelib.services import tenancy

    if not tenancy.profile(deps, tenant):
        raise OpsError(f"no tenant {tenant}")


def _key_create(args: argparse.Namespace) -> int:
    deps, local = _deps(args)
    from chalicelib.services import tenancy

    try:
        _existing_tenant(deps, args.tenant)
        api_key = tenancy.add_api_key(deps, args.tenant, args.label)
    except OpsError:
        raise
    except Exception as exc:
        raise _failed("create the key", exc, local) from None
    _print({"tenant": args.tenant, "key_id": tenancy.key_id(api_key), "api_key": api_key})
    return 0


def _key_list(args: argparse.Namespace) -> int:
    deps, local = _deps(args)
    from chalicelib.services import tenancy

    try:
        _existing_tenant(deps, args.tenant)
        found = tenancy.api_keys(deps, args.tenant)
    except OpsError:
        raise
    except Exception as exc:
        raise _failed("list the keys", exc, local) from None
    for k in sorted(found, key=lambda k: str(k["created_at"])):
        _print(k)
    return 0


def _key_revoke(args: argparse.Namespace) -> int:
    deps, local = _deps(args)
    from chalicelib.services import tenancy

    try:
        revoked = tenancy.revoke_key_id(deps, args.tenant, args.key_id)
    except Exception as exc:
        raise _failed("revoke the key", exc, local) from None
    if not revoked:
        raise OpsError(f"tenant {args.tenant} has no key {args.key_id} (see 'backend key "
                       "list')")
    _print({"tenant": args.tenant, "key_id": args.key_id, "revoked": True})
    print("API Gateway may accept it for up to 5 more minutes (its authorizer cache).",
          file=sys.stderr)
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
