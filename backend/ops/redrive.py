"""``creditdesk backend redrive``: bring the dead letters of a queue back to it.

A send message lands in ``creditdesk-send-dlq`` after its last receive (the worker has failed
its reminders then, with the reason, marked to be sent again); a work item in
``creditdesk-work-dlq`` after 3. Redriving moves each dead letter back to its queue (receive,
send, then delete from the dead-letter queue: a message is never lost, at worst it is moved
twice, and sending is once per reminder key anyway). The send worker then queues those
reminders again and sends them; a customer erased meanwhile is skipped (its tombstone).
"""

from __future__ import annotations

from typing import Any

QUEUES = {"send": ("send_queue", "send_dlq"), "work": ("work_queue", "work_dlq")}


def _url(sqs: Any, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def redrive(queue: str = "send", limit: int | None = None, sqs: Any = None) -> dict[str, Any]:
    """Move up to ``limit`` (all when None) dead letters of ``queue`` ("send" or "work")
    back to it. Returns ``{"queue", "dead_letter_queue", "moved"}``."""
    from chalicelib import config

    if queue not in QUEUES:
        raise ValueError(f"queue must be one of {', '.join(QUEUES)}, not {queue!r}")
    if sqs is None:
        import boto3

        sqs = boto3.client("sqs")
    target, source = (config.NAMES[n] for n in QUEUES[queue])
    target_url, source_url = _url(sqs, target), _url(sqs, source)
    moved = 0
    while limit is None or moved < limit:
        want = 10 if limit is None else max(1, min(10, limit - moved))
        msgs = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=want,
                                   VisibilityTimeout=60).get("Messages", [])
        if not msgs:
            break
        r = sqs.send_message_batch(QueueUrl=target_url, Entries=[
            {"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(msgs)])
        ok = {int(e["Id"]) for e in r.get("Successful", [])}
        if ok:
            sqs.delete_message_batch(QueueUrl=source_url, Entries=[
                {"Id": str(i), "ReceiptHandle": msgs[i]["ReceiptHandle"]} for i in sorted(ok)])
        moved += len(ok)
        if len(ok) < len(msgs):
            failed = r.get("Failed") or [{}]
            raise RuntimeError(f"SQS did not take {len(msgs) - len(ok)} message(s) back: "
                               f"{failed[0].get('Message', 'no reason given')}")
    return {"queue": target, "dead_letter_queue": source, "moved": moved}
