"""What xlwings Lite can run: imports Pyodide has, and HTTP through the browser."""

import ast
import json
import sys
from pathlib import Path

import httpx
import pytest

from creditdesk.api.client import BackendUnreachable, Client
from creditdesk.api.models import ReminderIn
from creditdesk_addin import lite as generator
from creditdesk_addin.pyodide_http import XHRTransport
from tests.support.transports import Wire

ROOT = Path(__file__).resolve().parents[2]

# Shipped by Pyodide, or pure-Python wheels micropip installs, and their dependencies.
ALLOWED = {"numpy", "pydantic", "pydantic_core", "email_validator", "dns", "idna", "httpx",
           "httpcore", "h11", "anyio", "sniffio", "certifi", "typing_extensions",
           "annotated_types", "typing_inspection", "tenacity", "babel", "creditdesk",
           "creditdesk_addin", "xlwings", "js", "pyodide"}
# Not in Pyodide (or, like multiprocessing, there but unusable); never at module level of
# the add-in or the domain.
FORBIDDEN = {"boto3", "botocore", "chalice", "python_calamine", "xlsxwriter", "openpyxl",
             "pandas", "moto", "requests", "multiprocessing", "tkinter", "turtle", "curses",
             "readline", "venv", "ensurepip", "idlelib", "dbm", "msvcrt", "winreg",
             "winsound", "_winapi"}


def _module_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import that runs when the module is imported: not those
    inside functions or under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                out.extend((node.lineno, a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    out.append((node.lineno, "creditdesk_or_addin_relative"))
                else:
                    out.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)
    visit(tree.body)
    return out


def _modules() -> list[Path]:
    return sorted([*(ROOT / "creditdesk").rglob("*.py"), *(ROOT / "addin").rglob("*.py")])


def test_the_add_in_and_the_domain_import_nothing_pyodide_lacks():
    stdlib = set(sys.stdlib_module_names)
    problems = []
    for path in _modules():
        for line, name in _module_level_imports(path):
            root = name.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if root == "creditdesk_or_addin_relative":
                continue
            if name.startswith("xlwings.pro"):
                problems.append(f"{where} (xlwings.pro needs a PRO key outside Lite)")
            elif root in FORBIDDEN:
                problems.append(f"{where} (not available in Pyodide)")
            elif root not in stdlib and root not in ALLOWED:
                problems.append(f"{where} (not known to install in Pyodide)")
    assert not problems, "\n".join(problems)


def test_the_domain_imports_no_xlwings_and_the_walk_sees_imports_that_run():
    for path in (ROOT / "creditdesk").rglob("*.py"):
        assert not [n for _, n in _module_level_imports(path) if n.startswith("xlwings")]
    names = [n for _, n in _module_level_imports(ROOT / "creditdesk" / "files" / "xlsx_read.py")]
    assert "python_calamine" not in names  # imported inside read_workbook only


def test_time_zones_work_in_pyodide_because_tzdata_is_installed():
    uses_zoneinfo = any(n.startswith("zoneinfo") for p in _modules()
                        for _, n in _module_level_imports(p))
    assert uses_zoneinfo  # settings.py checks the Time Zone setting with zoneinfo
    wheel = "https://api.example/v1/addin/wheels/x/creditdesk-0.1.0-py3-none-any.whl"
    assert "tzdata" in generator.requirements_txt(wheel).split()


class FakeXHR:
    """XMLHttpRequest as Pyodide exposes it, answering from an httpx transport."""

    def __init__(self, transport, gzip=False, fail=None):
        self.transport, self.gzip, self.fail = transport, gzip, fail
        self.headers: dict[str, str] = {}
        self.status, self.responseText = 0, ""
        self._answer_headers = ""

    def open(self, method, url, is_async):
        assert is_async is False
        self.method, self.url = method, url

    def setRequestHeader(self, name, value):
        self.headers[name] = value

    def send(self, body):
        if self.fail:
            raise RuntimeError(self.fail)
        request = httpx.Request(self.method, self.url, headers=self.headers,
                                content=(body or "").encode())
        response = self.transport.handle_request(request)
        response.read()
        self.status, self.responseText = response.status_code, response.text
        extra = "content-encoding: gzip\r\n" if self.gzip else ""
        self._answer_headers = extra + "".join(f"{k}: {v}\r\n"
                                               for k, v in response.headers.items())

    def getAllResponseHeaders(self):
        return self._answer_headers


def _reminder(customer="C1"):
    return ReminderIn(customer=customer, currency="EUR", level=2, to="ap@c1.example.com",
                      subject="Reminder", text="Please pay", invoices=["I1"], amount=100.0)


def test_the_client_works_through_the_browsers_xmlhttprequest(backend_app):
    """Through XMLHttpRequest (as Pyodide exposes it) to the real backend app in process."""
    key = backend_app.new_tenant()
    wire = Wire(backend_app.transport())
    made = []

    def xhr():
        made.append(FakeXHR(wire, gzip=True))
        return made[-1]
    with Client("https://api.example", key, transport=XHRTransport(xhr)) as c:
        out = c.submit_reminders([_reminder()], batch_id="batch-0001")
        assert (out.batch_id, out.counts.total) == ("batch-0001", 1)
        assert c.wait_for_batch("batch-0001").counts.sent == 1
        assert [r.status for r in c.reminders("batch-0001")] == ["sent"]
    sent = made[0]
    assert sent.headers["Authorization"] == f"Bearer {key}"
    assert sent.headers["Content-Type"] == "application/json"
    assert not {"Host", "Content-Length", "User-Agent", "Accept-Encoding"} & set(sent.headers)
    assert json.loads(wire.requests[0].content)["batch_id"] == "batch-0001"


@pytest.mark.parametrize("fail", [None, "NetworkError when attempting to fetch resource."])
def test_no_answer_in_the_browser_is_a_backend_unreachable_sentence(fail):
    class Blocked(FakeXHR):
        def send(self, body):
            if self.fail:
                raise RuntimeError(self.fail)
            self.status = 0  # what the browser reports when CORS hides the answer

    transport = XHRTransport(lambda: Blocked(None, fail=fail))
    with Client("https://api.example", "k", transport=transport, retries=1,
                sleep=lambda s: None) as c, pytest.raises(BackendUnreachable) as e:
        c.batch("batch-0001")
    assert str(e.value).startswith("cannot reach the Creditdesk backend at "
                                   "https://api.example: ")
