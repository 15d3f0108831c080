"""What the local stack runs in Lambda's place: the SQS poller honours batchItemFailures, a
handler that raises leaves its whole batch on the queue, schedules come due as EventBridge
reads them, and SES events are shaped as SES publishes them."""

from __future__ import annotations

import datetime as dt
import os
from email.message import EmailMessage

import boto3
import pytest

from backend.ops.local import Emulator, LocalStack, aws_env, ses_event_for, sqs_record
from backend.ops.schedule import Schedule, ScheduleError

UTC = dt.UTC


@pytest.fixture(scope="module")
def sqs():
    emu = Emulator()
    endpoint = emu.start()
    env = aws_env(endpoint)
    client = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"]).client("sqs", endpoint_url=endpoint)
    try:
        yield client
    finally:
        emu.stop()


def _queue(sqs, name: str, n: int) -> tuple[str, str, list[dict]]:
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    for i in range(n):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return url, arn, msgs


def _left(sqs, url: str) -> int:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(v) for v in a.values())


def test_only_the_records_reported_as_failed_stay_on_the_queue(sqs):
    url, arn, msgs = _queue(sqs, "partial", 3)
    seen = []

    def handler(event, context):
        seen.extend(r["body"] for r in event["Records"])
        assert context.get_remaining_time_in_millis() > 0
        bad = [r["messageId"] for r in event["Records"] if r["body"] == "m1"]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    stack = LocalStack()
    stack.invoke_sqs("worker", handler, sqs, url, arn, msgs)
    assert sorted(seen) == ["m0", "m1", "m2"]
    assert _left(sqs, url) == 1
    assert stack.stats.failures["worker"] == 1


def test_a_handler_that_raises_leaves_the_whole_batch(sqs):
    url, arn, msgs = _queue(sqs, "raises", 3)

    def handler(event, context):
        raise RuntimeError("boom")

    stack = LocalStack()
    stack.invoke_sqs("worker", handler, sqs, url, arn, msgs)
    assert _left(sqs, url) == 3 and stack.stats.errors["worker"] == 1


def test_records_are_shaped_as_lambdas_sqs_event_source_hands_them_over(sqs):
    _url, arn, msgs = _queue(sqs, "shape", 1)
    r = sqs_record(msgs[0], arn)
    assert r["eventSource"] == "aws:sqs" and r["eventSourceARN"] == arn
    assert r["messageId"] == msgs[0]["MessageId"] and r["body"] == "m0"
    assert {"receiptHandle", "attributes", "messageAttributes", "md5OfBody",
            "awsRegion"} <= set(r)


@pytest.mark.parametrize(("expr", "when", "due"), [
    ("cron(0 2 * * ? *)", dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC), True),
    ("cron(0 2 * * ? *)", dt.datetime(2026, 11, 24, 3, 0, tzinfo=UTC), False),
    ("cron(0 6 ? * MON *)", dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC), True),  # a Monday
    ("cron(0 6 ? * MON *)", dt.datetime(2026, 11, 24, 6, 0, tzinfo=UTC), False),
    ("cron(0 6 ? * 2 *)", dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC), True),  # 2 = MON
    ("cron(0/15 8-17 ? * MON-FRI *)", dt.datetime(2026, 11, 24, 9, 45, tzinfo=UTC), True),
    ("cron(0/15 8-17 ? * MON-FRI *)", dt.datetime(2026, 11, 28, 9, 45, tzinfo=UTC), False),
])
def test_cron_expressions_come_due_as_eventbridge_reads_them(expr, when, due):
    assert Schedule.parse(expr).due(when, when - dt.timedelta(days=1)) is due


def test_a_rate_comes_due_every_period_from_the_start():
    start = dt.datetime(2026, 11, 24, 9, 17, 30, tzinfo=UTC)
    s = Schedule.parse("rate(1 hour)")
    assert not s.due(dt.datetime(2026, 11, 24, 9, 17, tzinfo=UTC), start)
    assert s.due(dt.datetime(2026, 11, 24, 10, 17, tzinfo=UTC), start)
    assert not s.due(dt.datetime(2026, 11, 24, 10, 18, tzinfo=UTC), start)


def test_chalice_schedule_objects_are_read_too():
    from chalice import Cron, Rate

    assert Schedule.parse(Rate(1, unit=Rate.HOURS)).every == dt.timedelta(hours=1)
    assert Schedule.parse(Cron(0, 2, "*", "*", "?", "*")).fields[1] == frozenset({2})
    with pytest.raises(ScheduleError):
        Schedule.parse("cron(0 2 L * ? *)")


def _eml(tmp_path, to: str):
    msg = EmailMessage()
    msg["From"] = "reminders@creditdesk.example"
    msg["To"] = to
    msg["Subject"] = "Reminder"
    msg["Message-ID"] = "<abc-123@email.amazonses.com>"
    msg.set_content("pay")
    path = tmp_path / f"{abs(hash(to))}.eml"
    path.write_bytes(bytes(msg))
    return path


@pytest.mark.parametrize(("to", "kind"), [
    ("ap@customer.example.com", "Delivery"),
    ("bounce@simulator.amazonses.com", "Bounce"),
    ("complaint@simulator.amazonses.com", "Complaint"),
])
def test_sent_mail_becomes_the_ses_event_the_mailbox_simulator_would_cause(tmp_path, to, kind):
    e = ses_event_for(_eml(tmp_path, to))
    assert e["eventType"] == kind and e["mail"]["messageId"] == "abc-123"
    assert e["mail"]["destination"] == [to]
    if kind == "Bounce":
        assert e["bounce"]["bounceType"] == "Permanent"


def test_the_emulator_never_sees_the_shells_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY")
    env = aws_env("http://127.0.0.1:1")
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and "AWS_PROFILE" not in env
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALLOOKINGKEY"  # not changed by aws_env


def test_the_backend_commands_plug_into_the_creditdesk_command(monkeypatch, capsys):
    """What pyproject's `[project.entry-points."creditdesk.commands"]` line does, installed:
    the CLI finds the declared entry point and loads it (the only one it is shown)."""
    import importlib.metadata as md
    import tomllib
    from pathlib import Path

    from creditdesk.cli import main as cli

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["entry-points"][
        "creditdesk.commands"]
    installed = md.EntryPoints([md.EntryPoint("backend", declared["backend"],
                                              "creditdesk.commands")])
    real = md.entry_points
    monkeypatch.setattr(md, "entry_points", lambda **kw: installed if kw.get(
        "group") == "creditdesk.commands" else real(**kw))
    for args in (["backend", "serve", "--help"], ["backend", "tenant", "create", "--help"],
                 ["backend", "package", "--help"]):
        with pytest.raises(SystemExit) as e:
            cli.main(args)
        assert e.value.code == 0
        assert f"usage: creditdesk {' '.join(args[:-1])}" in capsys.readouterr().out
