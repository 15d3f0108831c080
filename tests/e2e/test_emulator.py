"""The local stack's emulator is moto with a few speed and thread-safety fixes to DynamoDB
(``backend/ops/moto_patches.py``). Whatever the fixes change, DynamoDB's answers must not
change: the same calls against the emulator and against moto as it ships (in-process) give the
same results, errors included. The fixes are for one range of moto versions, the one pyproject
pins; another version is refused with an error that names it."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from backend.ops import moto_patches
from backend.ops.local import Emulator, aws_env

TABLE = {
    "TableName": "t",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                             for n in ("pk", "sk", "g", "gs")],
    "GlobalSecondaryIndexes": [{
        "IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                      {"AttributeName": "gs", "KeyType": "RANGE"}]}],
    "BillingMode": "PAY_PER_REQUEST",
}


def item(pk: str, i: int) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": f"R#{i:03d}"}, "n": {"N": str(i * 1.5)},
            "ok": {"BOOL": i % 2 == 0}, "none": {"NULL": True}, "text": {"S": "é" * i},
            "m": {"M": {"a": {"S": "x"}, "l": {"L": [{"N": "1"}, {"S": "y"}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "b": {"B": b"\x00\xff"},
            "g": {"S": f"G#{i % 3}"}, "gs": {"S": f"{pk}#{i:03d}"}}


def script(ddb) -> list:
    """Every kind of call the app makes; each answer (or error code) in order."""
    out = []

    def record(fn, **kw):
        try:
            r = fn(**kw)
            r.pop("ResponseMetadata", None)
            r.pop("ConsumedCapacity", None)
            out.append(r)
        except ClientError as exc:
            out.append(("error", exc.response["Error"]["Code"],
                        exc.response.get("CancellationReasons")))

    ddb.create_table(**TABLE)
    for pk in ("A", "B", "C"):
        ddb.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": item(pk, i)}}
                                                 for i in range(12)]})
    q = {"TableName": "t", "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
         "ExpressionAttributeValues": {":p": {"S": "B"}, ":s": {"S": "R#"}}}
    record(ddb.query, **q)
    record(ddb.query, **q, ScanIndexForward=False, Limit=5)
    first = ddb.query(**q, Limit=5)
    record(ddb.query, **q, Limit=5, ExclusiveStartKey=first["LastEvaluatedKey"])
    record(ddb.query, TableName="t", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
           ExpressionAttributeValues={":p": {"S": "C"}, ":a": {"S": "R#003"},
                                      ":b": {"S": "R#007"}}, ProjectionExpression="sk, n")
    record(ddb.query, TableName="t", KeyConditionExpression="pk = :p",
           ExpressionAttributeValues={":p": {"S": "nobody"}})
    record(ddb.query, TableName="t", IndexName="gsi1", KeyConditionExpression="g = :g",
           ExpressionAttributeValues={":g": {"S": "G#1"}})
    record(ddb.get_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "R#004"}})
    record(ddb.batch_get_item, RequestItems={"t": {"Keys": [
        {"pk": {"S": "A"}, "sk": {"S": f"R#{i:03d}"}} for i in (1, 5, 99)]}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "R#001"}},
           UpdateExpression="SET #t = :t ADD ss :s REMOVE ok",
           ExpressionAttributeNames={"#t": "text"},
           ExpressionAttributeValues={":t": {"S": "x" * 1000}, ":s": {"SS": ["c"]}},
           ReturnValues="ALL_NEW")
    big = "x" * 300_000
    record(ddb.put_item, TableName="t", Item={"pk": {"S": "A"}, "sk": {"S": "BIG"},
                                              "a": {"S": big}, "b": {"S": big}})
    record(ddb.put_item, TableName="t", Item={"pk": {"S": "A"}, "sk": {"S": "BIG"},
                                              "a": {"S": big}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "BIG"}},
           UpdateExpression="SET b = :b", ExpressionAttributeValues={":b": {"S": big}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "BIG"}},
           UpdateExpression="REMOVE a SET b = :b", ExpressionAttributeValues={":b": {"S": big}})
    record(ddb.get_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "BIG"}},
           ProjectionExpression="pk, sk")
    kb = "y" * 100_000
    record(ddb.put_item, TableName="t", Item={"pk": {"S": "A"}, "sk": {"S": "GROW"},
                                              "x": {"S": kb * 2 + "y" * 50_000},
                                              "m": {"M": {"n": {"S": "small"}}}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "GROW"}},
           UpdateExpression="SET x = :x", ExpressionAttributeValues={":x": {"S": kb * 2}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "GROW"}},
           UpdateExpression="SET m.n = :v", ExpressionAttributeValues={":v": {"S": kb}})
    record(ddb.update_item, TableName="t", Key={"pk": {"S": "A"}, "sk": {"S": "GROW"}},
           UpdateExpression="SET q = :v", ExpressionAttributeValues={":v": {"S": kb}})
    claims = [{"Put": {"TableName": "t", "Item": {"pk": {"S": "A"}, "sk": {"S": f"R#{i:03d}"}},
                       "ConditionExpression": "attribute_not_exists(pk)"}} for i in (20, 3, 21)]
    record(ddb.transact_write_items, TransactItems=claims)
    record(ddb.transact_write_items, TransactItems=[claims[0], claims[2]])
    record(ddb.query, TableName="t", KeyConditionExpression="pk = :p AND sk >= :s",
           ExpressionAttributeValues={":p": {"S": "A"}, ":s": {"S": "R#011"}})
    return out


@pytest.fixture(scope="module")
def emulator():
    emu = Emulator()
    endpoint = emu.start()
    try:
        yield endpoint
    finally:
        emu.stop()


def _session() -> boto3.session.Session:
    env = aws_env("")
    return boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                                 aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                                 region_name=env["AWS_DEFAULT_REGION"])


def test_the_emulator_answers_as_moto_does(emulator, monkeypatch):
    patched = script(_session().client("dynamodb", endpoint_url=emulator))

    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        shipped = script(_session().client("dynamodb"))
    assert len(patched) == len(shipped) == 21
    for i, (a, b) in enumerate(zip(patched, shipped, strict=True)):
        assert a == b, f"call {i} differs"
    assert patched[9][:2] == ("error", "ValidationException")  # over 400 KB
    assert patched[11][0] == "error"  # updated past 400 KB: refused too
    assert patched[12] == {} and patched[13]["Item"]["sk"] == {"S": "BIG"}  # within the limit
    assert patched[18][1] == "TransactionCanceledException"
    assert [r["Code"] for r in patched[18][2]] == ["None", "ConditionalCheckFailed", "None"]


def test_the_patches_are_for_the_moto_pyproject_pins_and_installed():
    import tomllib
    from pathlib import Path

    import moto

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                              .read_text())
    low, high = moto_patches.SUPPORTED
    assert f"moto[server]>={low},<{high}" in pyproject["project"]["optional-dependencies"][
        "local"]
    assert moto_patches.check_version() == moto.__version__


@pytest.mark.parametrize("version", ["5.3.0", "5.1.9", "6.0.0", "5.2.4", "5.3.0rc1"])
def test_another_moto_is_refused_with_an_error_naming_it(version):
    with pytest.raises(moto_patches.MotoVersionError) as e:
        moto_patches.check_version(version)
    low, high = moto_patches.SUPPORTED
    assert f"moto {version} is installed" in str(e.value)
    assert f">={low},<{high}" in str(e.value) and "moto_patches.py" in str(e.value)


@pytest.mark.parametrize("version", ["5.2.5", "5.2.6", "5.2.10.dev3"])
def test_a_moto_in_the_range_is_taken(version):
    assert moto_patches.check_version(version) == version
