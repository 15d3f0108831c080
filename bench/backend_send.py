"""Benchmark: reminders accepted, sent and recorded through the local backend stack.

Creditdesk's way: one batch in parts of 500 (``Client.submit_reminders``), then the batch's
status until it is done, then every reminder's status and message id in pages of 1000.
Baseline, in the same run: one request per reminder (a batch of one each), as a naive client
would do it; measured on fewer reminders and scaled, and said so.

Checks, from moto's own record of the messages SES accepted (``/moto-api/data.json``): every
reminder sent exactly once (0 duplicates, 0 lost), every message id the API reports is one
SES gave, and the backend's history holds one reminder event per reminder.

    .venv/bin/python -m bench.backend_send                 # 10,000 reminders, 200 baseline
    .venv/bin/python -m bench.backend_send --write-docs    # and update docs/performance.md
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import httpx

from bench.benchlib import machine, s, table, write_docs
from creditdesk.api.client import Client
from creditdesk.api.models import MAX_REMINDERS_PER_REQUEST
from creditdesk.app.reminders import new_batch_id
from devkit.supervisor import LocalBackend


def reminders(n: int, tag: str) -> list[dict]:
    return [{"customer": f"{tag}-{i:06d}", "currency": "EUR", "level": 1 + i % 4,
             "to": f"ap.{tag.lower()}.{i}@customer-{i % 997}.example.com",
             "subject": f"Reminder: EUR {100 + i % 900:,.2f} overdue",
             "text": f"Dear customer,\n\nInvoice INV-{i:06d} is overdue. Please pay.\n",
             "html": f"<p>Invoice INV-{i:06d} is overdue. Please pay.</p>",
             "invoices": [f"INV-{i:06d}"], "amount": float(100 + i % 900)}
            for i in range(n)]


def ses_messages(aws_endpoint: str) -> list[dict]:
    data = httpx.get(f"{aws_endpoint}/moto-api/data.json", timeout=120).json()
    return data.get("ses", {}).get("Message", [])


def verify(items: list[dict], rows: list, messages: list[dict], tag: str) -> dict:
    """Duplicates and losses by recipient (each reminder has its own address)."""
    sent_to = collections.Counter(a for m in messages
                                  for a in m["destinations"]["ToAddresses"]
                                  if f".{tag.lower()}." in a)
    wanted = {r["to"] for r in items}
    ids = {m["id"] for m in messages}
    return {
        "duplicates": sum(c - 1 for c in sent_to.values() if c > 1),
        "lost": len(wanted - set(sent_to)),
        "statuses": dict(collections.Counter(r.status for r in rows)),
        "unknown_ids": sum(1 for r in rows if r.message_id and r.message_id not in ids),
    }


def run_batched(b: LocalBackend, n: int, poll: float) -> dict:
    items = reminders(n, "B")
    with Client(b.url, b.api_key, timeout=120) as c:
        t0 = time.perf_counter()
        batch = c.submit_reminders(items, batch_id=new_batch_id())
        submit_calls = c.calls
        accepted = time.perf_counter() - t0
        done = c.wait_for_batch(batch.batch_id, timeout=900, poll=poll)
        sent = time.perf_counter() - t0
        poll_calls = c.calls - submit_calls
        rows = c.reminders(batch.batch_id)
        recorded = time.perf_counter() - t0
        page_calls = c.calls - submit_calls - poll_calls
        events = len(c.history(type="reminder"))
    out = verify(items, rows, ses_messages(b.info["aws_endpoint"]), "B")
    return {"n": n, "accepted": accepted, "sent": sent, "recorded": recorded,
            "submit_calls": submit_calls, "poll_calls": poll_calls, "page_calls": page_calls,
            "counts": done.counts.model_dump(), "history_events": events, **out}


def run_one_by_one(b: LocalBackend, n: int, poll: float) -> dict:
    items = reminders(n, "S")
    with Client(b.url, b.api_key, timeout=120) as c:
        t0 = time.perf_counter()
        ids = [c.submit_reminders([r], batch_id=new_batch_id()).batch_id for r in items]
        submit_calls = c.calls
        accepted = time.perf_counter() - t0
        pending = list(ids)
        rows = []
        while pending:  # a naive client also asks per reminder
            nxt = []
            for bid in pending:
                if c.batch(bid).status != "done":
                    nxt.append(bid)
                else:
                    rows.extend(c.reminders(bid))
            pending = nxt
            if pending:
                time.sleep(poll)
        recorded = time.perf_counter() - t0
    out = verify(items, rows, ses_messages(b.info["aws_endpoint"]), "S")
    return {"n": n, "accepted": accepted, "recorded": recorded, "submit_calls": submit_calls,
            "calls": c.calls, **out}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reminders", type=int, default=10_000)
    ap.add_argument("--baseline", type=int, default=200,
                    help="reminders sent one request each (scaled to --reminders)")
    ap.add_argument("--poll", type=float, default=1.0, help="seconds between status polls")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, \
            LocalBackend(Path(tmp) / "outbox", extra_args=("--no-deliveries",),
                         timeout=120) as b:
        print(f"local stack at {b.url} (emulator {b.info['aws_endpoint']})", flush=True)
        base = run_one_by_one(b, args.baseline, args.poll)
        print(f"baseline: {base}", flush=True)
        bat = run_batched(b, args.reminders, args.poll)
        print(f"batched: {bat}", flush=True)

    scale = args.reminders / args.baseline
    base_total = base["recorded"] * scale
    calls_per_500 = bat["submit_calls"] / (args.reminders / 500)
    all_calls = bat["submit_calls"] + bat["poll_calls"] + bat["page_calls"]
    ok = (bat["duplicates"] == 0 and bat["lost"] == 0 and base["duplicates"] == 0
          and base["lost"] == 0 and bat["unknown_ids"] == 0)
    rows = [
        [f"batched: {args.reminders:,} reminders, parts of {MAX_REMINDERS_PER_REQUEST}",
         s(bat["accepted"]), s(bat["sent"]), s(bat["recorded"]),
         f"{bat['submit_calls']} + {bat['poll_calls']} polls + {bat['page_calls']} pages",
         "1x"],
        [f"baseline: one request per reminder ({args.baseline:,} measured, x{scale:g})",
         s(base["accepted"] * scale), "", s(base_total),
         f"{base['submit_calls'] * scale:,.0f} + status and pages per reminder "
         f"({base['calls'] * scale:,.0f} in all)",
         f"{base_total / bat['recorded']:.1f}x"],
    ]
    verdict = "met" if bat["recorded"] < 60 and calls_per_500 <= 1 else "NOT met"
    body = "\n".join([
        "Measured by `bench/backend_send.py` through the local stack (`creditdesk backend "
        "serve`: moto on 127.0.0.1 in its own process, the Chalice app on `chalice.local`, "
        "the SQS pollers invoking `send_worker`; simulated SES events off):",
        "",
        *machine(),
        "",
        table(["what", "accepted", "sent", "sent and recorded", "API calls", "vs batched"],
              rows),
        "",
        f"{args.reminders:,} reminders accepted, sent and recorded in {s(bat['recorded'])} "
        f"with {bat['submit_calls']} submit calls ({calls_per_500:g} per 500 reminders), "
        f"{bat['poll_calls']} status polls at {args.poll:g} s and {bat['page_calls']} pages of "
        f"statuses ({all_calls} calls in all): under 60 s and at most one call per 500: "
        f"{verdict}. The baseline was measured on {args.baseline:,} reminders and scaled "
        f"x{scale:g} (it sends the same way; its cost is the request per reminder).",
        "",
        f"Checked against moto's record of what SES accepted: {bat['duplicates']} duplicates, "
        f"{bat['lost']} lost, {bat['unknown_ids']} message ids SES did not give (batched); "
        f"{base['duplicates']} duplicates, {base['lost']} lost (baseline); statuses "
        f"{bat['statuses']}; {bat['history_events']:,} reminder events in the history "
        f"(both runs).",
    ])
    print(body)
    if args.write_docs:
        write_docs("backend", body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
