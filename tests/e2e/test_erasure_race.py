"""Erasure that stays erased, over HTTP (issue 11, item 4): the local stack as a child process
on 127.0.0.1; ``DELETE /v1/customers/X`` while 300 of X's reminders are in flight. Afterwards
no stored item (DynamoDB items, S3 objects, the outbox) holds X's address, also after later
delivery and bounce events for X's mail arrive. Bounded: 300 reminders, 120 s at most."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest

from creditdesk.api.client import Client
from creditdesk.app.reminders import new_batch_id
from devkit.supervisor import LocalBackend

pytestmark = pytest.mark.slow
TIMEOUT = 120
ADDRESS = "accounts.payable@erase-me.example.com"
N = 300


def reminder(i: int, customer: str = "ERASE-X", to: str = ADDRESS) -> dict:
    return {"customer": customer, "currency": "EUR", "level": 1, "to": to,
            "subject": f"Reminder {i}", "text": f"Please pay invoice INV-{i}.",
            "html": f"<p>Please pay INV-{i}.</p>", "invoices": [f"INV-{i}"], "amount": 100.0}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    b = LocalBackend(tmp_path_factory.mktemp("outbox"))
    b.start()
    try:
        yield b
    finally:
        b.stop()


def aws(stack, service: str):
    return boto3.session.Session().client(
        service, region_name="us-east-1", endpoint_url=stack.info["aws_endpoint"],
        aws_access_key_id="testing", aws_secret_access_key="testing")


def holders(stack, needle: str) -> list[str]:
    """Every DynamoDB item, S3 object and outbox file of the stack that holds ``needle``."""
    needle = needle.casefold()
    ddb, s3 = aws(stack, "dynamodb"), aws(stack, "s3")
    found = []
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            found += [f"{i['pk']['S']} {i['sk']['S']}" for i in page["Items"]
                      if needle in json.dumps(i).casefold()]
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                if needle.encode() in body.lower():
                    found.append(f"s3://{bucket}/{o['Key']}")
    found += [p.name for p in Path(stack.info["outbox"]).glob("*.eml")
              if needle.encode() in p.read_bytes().lower()]
    return found


def settle(stack, seconds: float = 6.0) -> None:
    """Let the SES events of the mail just written (the mailbox simulator) come through."""
    sqs = aws(stack, "sqs")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1.0)
        depth = 0
        for url in sqs.list_queues().get("QueueUrls", []):
            if url.endswith("-dlq"):
                continue
            a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            depth += sum(int(v) for v in a["Attributes"].values())
        if depth == 0:
            return


def test_an_erasure_while_300_reminders_are_in_flight_leaves_no_address(stack):
    with Client(stack.url, stack.api_key, timeout=60) as client:
        others = [reminder(1000 + i, f"KEEP-{i}", f"ap{i}@keep.example.com") for i in range(5)]
        batch = client.submit_reminders([reminder(i) for i in range(N)] + others,
                                        batch_id=new_batch_id())
        deadline = time.monotonic() + TIMEOUT
        while client.batch(batch.batch_id).counts.sent < 10:  # in flight now
            assert time.monotonic() < deadline, "nothing was sent"
            time.sleep(0.05)
        answer = client.erase("ERASE-X")
        done = client.wait_for_batch(batch.batch_id, timeout=TIMEOUT, poll=0.2)
        assert done.status == "done" and done.counts.queued == 0
        assert ADDRESS not in answer.model_dump_json()
        assert answer.erased["reminder_rows_blanked"] == N
        rows = [r for r in client.reminders(batch.batch_id) if r.customer == "ERASE-X"]
        assert len(rows) == N
        sent = [r for r in rows if r.status == "sent"]
        stopped = [r for r in rows if r.status == "failed"]
        assert len(sent) + len(stopped) == N and stopped, (len(sent), len(stopped))
        assert all("erased" in r.detail for r in stopped)
        assert all(r.to == "" and r.subject == "" for r in rows)
        settle(stack)
        assert holders(stack, ADDRESS) == []
        # later SES events for X's mail (a delivery, a hard bounce) keep nothing either
        topic = next(t["TopicArn"] for t in aws(stack, "sns").list_topics()["Topics"]
                     if t["TopicArn"].endswith("creditdesk-ses-events"))
        mail = {"messageId": sent[0].message_id, "timestamp": "2026-12-07T10:00:00.000Z"}
        for event in ({"eventType": "Delivery", "mail": mail, "delivery": {
                "recipients": [ADDRESS], "smtpResponse": "250 ok"}},
                {"eventType": "Bounce", "mail": mail, "bounce": {
                    "bounceType": "Permanent", "bounceSubType": "General",
                    "bouncedRecipients": [{"emailAddress": ADDRESS, "status": "5.1.1"}]}}):
            aws(stack, "sns").publish(TopicArn=topic, Message=json.dumps(event))
        time.sleep(3)
        settle(stack)
        assert holders(stack, ADDRESS) == []
        history = client.history("ERASE-X")
        assert history and all(not e.email and not e.note for e in history)
        assert {e.type for e in history} <= {"reminder", "delivery", "bounce"}
        # the others of the batch went as usual, and their addresses are still there
        assert {r.status for r in client.reminders(batch.batch_id)
                if r.customer.startswith("KEEP-")} == {"sent"}
        assert holders(stack, "ap0@keep.example.com")
