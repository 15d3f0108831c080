"""`creditdesk backend package`: the template passes cfn-lint, the zip is within budget and
complete, the infrastructure says what Chalice cannot, and the handler imports fast."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from backend.ops.package import import_seconds, lambda_modules, lambda_tree

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ZIP_BUDGET = 15 * 1024 * 1024


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("pkg")
    r = subprocess.run([sys.executable, "-m", "backend.ops", "package", str(out)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    result["sam"] = json.loads(Path(result["template"]).read_text())
    return result


def resources(sam: dict, kind: str) -> dict:
    return {n: r for n, r in sam["Resources"].items() if r["Type"] == kind}


def test_the_template_passes_cfn_lint(package):
    r = subprocess.run([str(BIN / "cfn-lint"), package["template"]], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == ""


def test_the_zip_is_within_budget_and_holds_the_app_and_the_domain_package(package):
    assert package["zip_bytes"] < ZIP_BUDGET
    with zipfile.ZipFile(package["zip"]) as z:
        tops = {n.split("/", 1)[0] for n in z.namelist()}
        cldr = {n.rsplit("/", 1)[-1] for n in z.namelist() if "babel/locale-data/" in n}
    # babel's data: the languages reminders are written in, not the 1,000 others
    assert {"root.dat", "en_GB.dat", "de.dat", "fr_FR.dat"} <= cldr and "ja.dat" not in cldr
    assert package["babel_files_left_out"] > 800
    assert {"app.py", "chalicelib", "creditdesk", "pydantic", "aws_lambda_powertools",
            "holidays"} <= tops
    assert not tops & {"boto3", "botocore", "numpy", "moto", "ops", "backend", "addin", "tests",
                       "devkit", "infra", "bench", "creditdesk_addin"}


def test_the_zip_carries_the_add_ins_wheel_and_the_api_answers_it_as_bytes(package):
    with zipfile.ZipFile(package["zip"]) as z:
        wheels = [n for n in z.namelist() if n.startswith("addin-wheel/")]
        assert wheels == [package["addin_wheel"]]
        assert wheels[0].endswith(f"/{package['domain_wheel']}")
        with zipfile.ZipFile(io.BytesIO(z.read(wheels[0]))) as wheel:
            names = wheel.namelist()
    assert "creditdesk_addin/scripts.py" in names and "creditdesk/domain/ledger.py" in names
    (api,) = resources(package["sam"], "AWS::Serverless::Api").values()
    body = api["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-binary-media-types"] == ["*/*"]
    for path in ("/v1/addin", "/v1/addin/wheels/{sha256}/{filename}"):
        assert "security" not in body["paths"][path]["get"]  # public: no authorizer
        options = body["paths"][path]["options"]["x-amazon-apigateway-integration"]
        assert options["contentHandling"] == "CONVERT_TO_TEXT"  # preflights with */*


def test_the_zip_holds_only_the_creditdesk_modules_the_handlers_import(package):
    with zipfile.ZipFile(package["zip"]) as z:
        names = {n for n in z.namelist() if n.startswith("creditdesk/")}
    modules = {n.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
               for n in names if n.endswith(".py")}
    assert modules == set(package["domain_modules"]) == set(lambda_modules())
    assert {"creditdesk.api.models", "creditdesk.analysis.report",
            "creditdesk.domain.ledger"} <= modules
    assert not [m for m in modules if m.startswith(("creditdesk.cli", "creditdesk.files"))
                or m == "creditdesk.api.client"]
    assert {"creditdesk/domain/data/uk_bank_rate.csv",
            "creditdesk/domain/data/ecb_mro_rate.csv"} <= names  # the interest rates
    assert not [n for n in names if "__pycache__" in n]


def test_every_queue_handler_reports_batch_item_failures(package):
    sam = package["sam"]
    queues = resources(sam, "AWS::SQS::Queue")
    by_name = {q["Properties"]["QueueName"]: q for q in queues.values()}
    sqs_events = 0
    for fn in resources(sam, "AWS::Serverless::Function").values():
        for ev in (fn["Properties"].get("Events") or {}).values():
            if ev["Type"] != "SQS":
                continue
            sqs_events += 1
            p = ev["Properties"]
            assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            name = p["Queue"]["Fn::Sub"].rsplit(":", 1)[-1]
            q = by_name[name]["Properties"]
            assert q["VisibilityTimeout"] >= 6 * fn["Properties"]["Timeout"]
            dlq = q["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert dlq in queues and q["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert sqs_events == 2


def test_the_ses_events_reach_their_handler_through_the_topic(package):
    sam = package["sam"]
    dest = resources(sam, "AWS::SES::ConfigurationSetEventDestination")
    (d,) = dest.values()
    topic = d["Properties"]["EventDestination"]["SnsDestination"]["TopicARN"]["Ref"]
    name = sam["Resources"][topic]["Properties"]["TopicName"]
    subs = [ev for fn in resources(sam, "AWS::Serverless::Function").values()
            for ev in (fn["Properties"].get("Events") or {}).values() if ev["Type"] == "SNS"]
    assert len(subs) == 1 and subs[0]["Properties"]["Topic"]["Fn::Sub"].endswith(":" + name)


def test_the_role_is_least_privilege_on_the_stacks_own_resources(package):
    sam = package["sam"]
    roles = resources(sam, "AWS::IAM::Role")
    assert roles  # autogen off: the merge template writes every role's policy
    policies = [json.dumps(r["Properties"]["Policies"][0]["PolicyDocument"], sort_keys=True)
                for r in roles.values()]
    assert len(set(policies)) == 1 and all(len(r["Properties"]["Policies"]) == 1
                                           for r in roles.values())
    statements = json.loads(policies[0])["Statement"]
    assert "Deny" not in policies[0]  # the build's placeholder policy was replaced
    assert statements and all(s["Effect"] == "Allow" for s in statements)
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        assert all(a != "*" and not a.endswith(":*") for a in actions), actions
        if s["Resource"] == "*":  # only actions with no resource-level permissions
            assert set(actions) <= {"ses:GetSendQuota", "ses:GetAccount"}, actions
        else:
            text = json.dumps(s["Resource"])
            assert "Fn::GetAtt" in text or "Fn::Sub" in text or "Ref" in text


def test_every_function_gets_the_numpy_layer_and_the_stacks_resource_names(package):
    sam = package["sam"]
    assert package["layer_parameter"] in sam["Parameters"]
    for name, fn in resources(sam, "AWS::Serverless::Function").items():
        p = fn["Properties"]
        assert p["Layers"] == [{"Ref": package["layer_parameter"]}], name
        env = p["Environment"]["Variables"]
        assert env["CREDITDESK_TABLE"] == {"Ref": "CreditdeskTable"}, name
        assert env["CREDITDESK_SEND_QUEUE_URL"] == {"Ref": "SendQueue"}, name
    assert {"TableName", "BucketName"} <= set(sam["Outputs"])


@pytest.fixture(scope="module")
def unzipped(package, tmp_path_factory) -> tuple[Path, Path]:
    return lambda_tree(package["zip"], tmp_path_factory.mktemp("lambda"))


def test_the_handler_module_imports_from_the_zip_alone(unzipped):
    # Correctness only: everything the handler needs is in the zip, the layer or the
    # runtime. The import time is measured by bench/lambda_package.py.
    assert import_seconds("app", *unzipped) > 0


def test_every_module_of_the_app_and_its_domain_imports_from_the_zip_alone(package, unzipped):
    # what the handlers import inside functions too (the domain's report, the adapters'
    # Powertools and boto3), and creditdesk's lazily re-exported names
    task, _ = unzipped
    app_modules = sorted(".".join(p.relative_to(task).with_suffix("").parts).removesuffix(
        ".__init__") for p in (task / "chalicelib").rglob("*.py"))
    then = "\n".join([
        "import importlib, creditdesk",
        f"for m in {app_modules + package['domain_modules']!r}: importlib.import_module(m)",
        "for n in creditdesk.__all__: getattr(creditdesk, n)",
        "import aws_lambda_powertools.utilities.idempotency, boto3.dynamodb.types, holidays"])
    assert import_seconds("app", *unzipped, then=then) > 0
