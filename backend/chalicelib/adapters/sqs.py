"""The Queue port on SQS: the two queues by URL (a bare name is looked up once)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from ..services.ports import MAX_MESSAGE_BYTES, Queue
from . import aws

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 1024 * 1024  # SendMessageBatch: 10 messages, 1 MiB in all


class SqsQueue(Queue):
    def __init__(self, urls: dict[str, str]):
        self._urls = dict(urls)

    def url(self, queue: str) -> str:
        value = self._urls[queue]
        if "://" not in value:  # a bare name: look it up once
            value = aws.client("sqs").get_queue_url(QueueName=value)["QueueUrl"]
            self._urls[queue] = value
        return value

    def send(self, queue: str, bodies: Sequence[str], delay: int = 0) -> None:
        url = self.url(queue)
        batch: list[str] = []
        size = 0
        for body in bodies:
            n = len(body.encode())
            if n > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {n} bytes is over the SQS limit")
            if batch and (len(batch) == 10 or size + n > MAX_BATCH_BYTES):
                self._send_batch(url, batch, delay)
                batch, size = [], 0
            batch.append(body)
            size += n
        if batch:
            self._send_batch(url, batch, delay)

    def _send_batch(self, url: str, bodies: list[str], delay: int) -> None:
        entries = {str(i): b for i, b in enumerate(bodies)}
        for attempt in range(6):
            r = aws.client("sqs").send_message_batch(
                QueueUrl=url, Entries=[{"Id": i, "MessageBody": b, "DelaySeconds": delay}
                                       for i, b in entries.items()])
            failed = r.get("Failed") or []
            if not failed:
                return
            bad = [f for f in failed if f.get("SenderFault")]
            if bad:
                raise RuntimeError(f"SQS refused a message: {bad[0].get('Message')}")
            entries = {f["Id"]: entries[f["Id"]] for f in failed}
            time.sleep(min(0.1 * 2 ** attempt, 2.0))
        raise RuntimeError("SQS did not take every message after 6 attempts")

    def retry_later(self, queue: str, receipt_handle: str, seconds: int) -> None:
        try:
            aws.client("sqs").change_message_visibility(
                QueueUrl=self.url(queue), ReceiptHandle=receipt_handle,
                VisibilityTimeout=max(0, min(int(seconds), 43_200)))
        except Exception as exc:  # the queue's own visibility timeout applies instead
            log.info("could not shorten the visibility of a message: %s", exc)
