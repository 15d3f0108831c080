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
        pages = {n for n in z.namelist() if n.startswith("chalicelib/templates/debtor/")}
    # babel's data: the languages reminders and the debtor's page are written in, not the
    # 1,000 others
    assert {"root.dat", "en_GB.dat", "de.dat", "de_DE.dat", "fr_FR.dat"} <= cldr
    assert "ja.dat" not in cldr and package["babel_files_left_out"] > 800
    assert {"app.py", "chalicelib", "creditdesk", "pydantic", "aws_lambda_powertools",
            "holidays", "jinja2", "babel", "nh3"} <= tops
    assert {"chalicelib/templates/debtor/page.html", "chalicelib/templates/debtor/page.css"} \
        <= pages  # the debtor page's templates are package data
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


def _actions(statement: dict) -> list[str]:
    a = statement["Action"]
    return a if isinstance(a, list) else [a]


def test_every_function_has_its_own_role_with_only_what_its_handler_calls(package):
    from backend.ops.resources import role_statements

    sam = package["sam"]
    roles = resources(sam, "AWS::IAM::Role")
    functions = resources(sam, "AWS::Serverless::Function")
    role_of = {n: f["Properties"]["Role"]["Fn::GetAtt"][0] for n, f in functions.items()}
    assert len(set(role_of.values())) == len(functions) == 9 and set(role_of.values()) == set(
        roles)
    wanted = role_statements()
    actions = {}
    for name, fn in functions.items():
        (policy,) = roles[role_of[name]]["Properties"]["Policies"]
        statements = policy["PolicyDocument"]["Statement"]
        handler = fn["Properties"]["Handler"].rsplit(".", 1)[-1]
        assert statements == wanted[handler], name
        actions[name] = {a for s in statements for a in _actions(s)}
        for s in statements:
            assert s["Effect"] == "Allow" and all(a != "*" and not a.endswith(":*")
                                                  for a in _actions(s))
            if s["Resource"] == "*":  # only actions with no resource-level permissions
                assert _actions(s) == ["ses:GetSendQuota"], name
            if "ses:SendEmail" in _actions(s):  # only From the tenants' addresses
                assert s["Condition"] == {"StringLike": {"ses:FromAddress": {
                    "Ref": "SenderAddresses"}}}
    logs = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert actions["ApiKeyAuth"] == {"dynamodb:GetItem"} | logs  # it only reads keys
    assert {n for n, a in actions.items() if "ses:SendEmail" in a} == {
        "SendWorker", "WorkWorker", "APIHandler"}  # the API: a debtor's dispute, at once
    assert {n for n, a in actions.items() if "s3:DeleteObject" in a} == {
        "APIHandler", "Tick"}  # the tick: a held batch's part, once released
    for schedule in ("NightlyScores", "WeeklyDigest", "PageSummary"):
        assert actions[schedule] == {"dynamodb:Query", "sqs:SendMessage"} | logs
    assert actions["Tick"] == {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:UpdateItem",
                               "dynamodb:DeleteItem", "s3:GetObject", "s3:DeleteObject",
                               "sqs:SendMessage"} | logs  # and it releases held batches
    assert sam["Parameters"]["SenderAddresses"]["Type"] == "CommaDelimitedList"


def test_the_send_worker_and_the_api_have_reserved_concurrency_and_one_batch_size(package):
    from chalicelib import config

    sam = package["sam"]
    fns = resources(sam, "AWS::Serverless::Function")
    assert fns["SendWorker"]["Properties"]["ReservedConcurrentExecutions"] == (
        config.SEND_CONCURRENCY)
    assert fns["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] > 0
    (ev,) = fns["SendWorker"]["Properties"]["Events"].values()
    assert ev["Properties"]["BatchSize"] == config.SEND_BATCH_SIZE
    assert ev["Properties"]["ScalingConfig"]["MaximumConcurrency"] == config.SEND_CONCURRENCY
    (ev,) = fns["WorkWorker"]["Properties"]["Events"].values()
    assert ev["Properties"]["BatchSize"] == config.WORK_BATCH_SIZE


def test_the_api_is_throttled_and_answers_401_and_403_as_error_out_with_cors(package):
    sam = package["sam"]
    (api,) = resources(sam, "AWS::Serverless::Api").values()
    (setting,) = api["Properties"]["MethodSettings"]
    assert setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"
    assert setting["ThrottlingRateLimit"] > 0 and setting["ThrottlingBurstLimit"] > 0
    (plan,) = resources(sam, "AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["ApiStages"] == [{"ApiId": {"Ref": "RestAPI"}, "Stage": "api"}]
    assert 0 < plan["Properties"]["Throttle"]["RateLimit"] < setting["ThrottlingRateLimit"]
    assert sam["Outputs"]["UsagePlanId"] == {"Value": {"Ref": "ApiUsagePlan"}}
    # the plan counts each tenant: the key comes from the authorizer, every route needs one
    body = api["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    for path, methods in body["paths"].items():
        for method, op in methods.items():
            if method == "options" or path.startswith("/v1/addin") or path.endswith(
                    "openapi.json"):
                continue
            if path.startswith("/p/"):  # the debtor's page: its token is the capability
                assert "security" not in op, (path, method)
                continue
            assert {"api_key": []} in op["security"], (path, method)
    responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    for kind, status in (("UNAUTHORIZED", 401), ("ACCESS_DENIED", 403), ("THROTTLED", 429)):
        r = responses[kind]
        assert r["statusCode"] == status
        assert r["responseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://addin.xlwings.org'"
        out = json.loads(r["responseTemplates"]["application/json"])
        assert set(out) == {"error", "message", "field"} and out["field"] is None
    default = responses["DEFAULT_4XX"]["responseTemplates"]["application/json"]
    assert json.loads(default.replace("$context.error.messageString", '"x"'))["message"] == "x"


def test_uploads_never_completed_are_cleaned_up_by_the_bucket(package):
    (bucket,) = resources(package["sam"], "AWS::S3::Bucket").values()
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1}


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


def test_a_statement_pdf_renders_from_the_zip_alone(unzipped):
    # fpdf2, fontTools without its compiled accelerators (pruned: package.fonttools_unused)
    # and the embedded font, as the Lambda has them
    task, _ = unzipped
    assert not list((task / "fontTools").rglob("*.so"))
    assert (task / "creditdesk" / "documents" / "fonts" / "DejaVuSans.ttf").exists()
    then = "\n".join([
        "import datetime as dt",
        "from creditdesk.analysis.documents import AgeingBand, Company, Statement, "
        "StatementLine",
        "d = dt.date(2026, 6, 30)",
        "s = Statement(customer='C1', name='Zoë Müller', account='C1', address=['1 Rue'], "
        "currency='EUR', start=d, end=d, opening_balance=0.0, lines=[StatementLine(date=d, "
        "type='Invoice', reference='INV-1', amount=5.0, balance=5.0)], closing_balance=5.0, "
        "ageing=[AgeingBand(label='Current', amount=5.0)])",
        "pdf = creditdesk.documents.pdf.statement_pdf(s, Company(name='Acme €'), 'open-items')",
        "assert pdf[:5] == b'%PDF-' and len(pdf) > 5000, len(pdf)"])
    assert import_seconds("creditdesk.documents.pdf", *unzipped, then=then) > 0


def test_what_the_pruning_left_out_is_not_missed_at_run_time(package, unzipped):
    # Powertools' idempotency (only imported when a batch is accepted), a Send Window's
    # public holidays in several countries (their names' default-language translations are
    # kept, the others are not), an e-mail address checked, babel's mail formats
    then = "\n".join([
        "from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, "
        "IdempotencyConfig, idempotent_function",
        "from aws_lambda_powertools.utilities.idempotency.exceptions import "
        "IdempotencyAlreadyInProgressError",
        "from chalicelib.services.business_days import business_day",
        "import datetime as dt",
        "assert not business_day(dt.date(2026, 12, 25), 'GB')",
        "assert not business_day(dt.date(2026, 10, 3), 'DE') and business_day(dt.date(2026, "
        "10, 5), 'DE')",
        "assert not business_day(dt.date(2026, 7, 14), 'FR') and "
        "not business_day(dt.date(2026, 7, 3), 'US')",
        "from creditdesk.domain.emails import email_problem",
        "assert email_problem('ap@acme.co.uk') is None and email_problem('ap@') is not None",
        "from creditdesk.domain.templates import mail_locale",
        "from babel.dates import format_date",
        "assert format_date(dt.date(2026, 12, 7), 'medium', locale=mail_locale('de')) == "
        "'07.12.2026'"])
    assert import_seconds("app", *unzipped, then=then) > 0
    with zipfile.ZipFile(package["zip"]) as z:
        names = z.namelist()
    assert not [n for n in names if n.endswith((".pyc", ".pyi", ".po")) or "/tests/" in n
                or n.endswith(".dist-info/RECORD") or n.startswith(("dns/", "dateutil/"))]
    assert "holidays/locale/de/LC_MESSAGES/DE.mo" in names
    assert "holidays/locale/en_US/LC_MESSAGES/DE.mo" not in names
    assert not [n for n in names if n.startswith(("PIL/", "fontTools/ufoLib/"))]
    # issue 8 asked for less than 6.1 MB, measured before the Lambda rendered PDFs (fpdf2,
    # fontTools, defusedxml: 1.4 MB) and sanitised HTML with nh3 (0.8 MB); 8.2 MB with them
    assert package["zip_bytes"] < 8.5 * 1024 * 1024
