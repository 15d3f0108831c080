"""Workbook settings: the Settings table's Setting/Value rows as one validated model."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from creditdesk.domain.cells import FALSE_WORDS, TRUE_WORDS, date_or_reason, is_blank
from creditdesk.domain.contract import normalise_header
from creditdesk.domain.emails import email_problem
from creditdesk.domain.issues import Issue

# Where dates are written month first (03/11/2026 is 11 March).
MONTH_FIRST_COUNTRIES = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH",
                                   "PW"})

Percent = Annotated[float, Field(ge=0, le=1000)]

EURO_AREA = frozenset({"AT", "BE", "HR", "CY", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV",
                       "LT", "LU", "MT", "NL", "PT", "SK", "SI", "ES", "MC", "SM", "VA", "AD",
                       "ME", "XK"})
# The currency a ledger is kept in by default, by Country (the euro area: EUR).
COUNTRY_CURRENCY = {
    "GB": "GBP", "IM": "GBP", "JE": "GBP", "GG": "GBP", "US": "USD", "PR": "USD", "GU": "USD",
    "VI": "USD", "AS": "USD", "MP": "USD", "UM": "USD", "EC": "USD", "SV": "USD", "PA": "USD",
    "CA": "CAD", "AU": "AUD", "NZ": "NZD", "CH": "CHF", "LI": "CHF", "SE": "SEK", "NO": "NOK",
    "DK": "DKK", "IS": "ISK", "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON", "BG": "BGN",
    "JP": "JPY", "CN": "CNY", "HK": "HKD", "SG": "SGD", "IN": "INR", "ZA": "ZAR", "AE": "AED",
    "SA": "SAR", "IL": "ILS", "TR": "TRY", "MX": "MXN", "BR": "BRL", "KR": "KRW", "MY": "MYR",
    "PH": "PHP", "TH": "THB", "ID": "IDR", "NG": "NGN", "KE": "KES",
    **{c: "EUR" for c in EURO_AREA},
}
FALLBACK_CURRENCY = "EUR"


def country_currency(country: str) -> str | None:
    """The Base Currency a blank setting means for ``country`` (GB: GBP, US: USD, the euro
    area: EUR); None for a country not in the list."""
    return COUNTRY_CURRENCY.get(str(country).strip().upper())


class Settings(BaseModel):
    """Every setting has a default, so an empty Settings table is a valid workbook."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    as_of_date: dt.date | None = Field(None, alias="As Of Date", description="Blank = today")
    base_currency: str = Field(
        "GBP", alias="Base Currency",
        description="Three-letter code all amounts are converted to; blank = from Country "
                    "(GB: GBP, US: USD, the euro area: EUR)")
    ageing_basis: Literal["Due Date", "Invoice Date"] = Field(
        "Due Date", alias="Ageing Basis",
        description="Age items from the Due Date or the Invoice Date")
    bucket_edges: tuple[int, ...] = Field(
        (30, 60, 90, 120), alias="Bucket Edges",
        description="Upper edges of the day buckets, comma-separated")
    company_name: str = Field("Your Company Ltd", alias="Company Name",
                              description="Signs the reminders")
    sender_email: str | None = Field(None, alias="Sender Email",
                                     description="From address of reminders")
    reply_to: str | None = Field(None, alias="Reply To", description="Where replies go")
    payment_details: str | None = Field(
        None, alias="Payment Details",
        description="How to pay, shown in every reminder: bank, sort code or IBAN, the "
                    "reference to quote (several lines)")
    phone: str | None = Field(None, alias="Phone",
                              description="The credit control phone number reminders show")
    late_payment_law: Literal["None", "UK", "EU"] = Field(
        "None", alias="Late Payment Law",
        description="None, UK or EU: statutory interest and compensation on final demands")
    contract_interest_rate: Percent | None = Field(
        None, alias="Contract Interest Rate", description="Annual %, overrides the statutory rate"
    )
    minimum_reminder_amount: float = Field(
        25.0, ge=0, alias="Minimum Reminder Amount",
        description="No reminder for less than this (base currency)")
    reminder_cooldown_days: int = Field(
        7, ge=0, le=365, alias="Reminder Cool-down (days)",
        description="Minimum days between two reminders to a customer in a currency")
    plan_missed_to_default: int = Field(
        2, ge=1, le=100, alias="Plan Missed Instalments To Default",
        description="An Active payment plan is Defaulted when this many instalments are "
                    "missed; ordinary chasing then resumes")
    plan_courtesy_days: int = Field(
        3, ge=0, le=60, alias="Plan Courtesy Lead (days)",
        description="A courtesy note goes this many days before each instalment of an Active "
                    "plan (with a courtesy level in the policy); 0 = none")
    time_zone: str = Field("Europe/London", alias="Time Zone",
                           description="IANA name; the backend runs the daily cycle in it")
    country: str = Field("GB", alias="Country",
                         description="Two-letter code; its public holidays are skipped")
    default_terms_days: int = Field(
        30, ge=0, le=3650, alias="Default Terms (days)",
        description="Terms of customers whose Terms (days) is blank")
    kpi_period_days: int = Field(
        90, ge=1, le=3650, alias="KPI Period (days)",
        description="The period DSO, CEI and the other KPIs look back over")
    review_utilisation_pct: Percent = Field(
        80.0, alias="Review Utilisation %",
        description="Credit check: Review at or above this share of the limit")
    hold_days_overdue: int = Field(
        60, ge=1, alias="Hold Days Overdue",
        description="Credit check: Hold when an invoice is more days than this past due")
    review_score: float = Field(
        50.0, ge=1, le=100, alias="Review Score",
        description="Credit check: Review when the payment score is below this")
    limit_raise_review_pct: Percent = Field(
        50.0, alias="Limit Raise Review",
        description="Credit check: Review when the customer's latest Credit Limit change in "
                    "the Audit table raised it by more than this % of the old limit")
    minimum_settled_invoices: int = Field(
        3, ge=1, le=1000, alias="Minimum Settled Invoices",
        description="Payment score: settled invoices a customer needs before it is scored")
    automation: bool = Field(
        False, alias="Automation",
        description="Yes = the backend runs the reminder cycle every business day")
    send_window: tuple[dt.time, dt.time] = Field(
        (dt.time(9), dt.time(17)), alias="Send Window",
        description="Hours (in Time Zone) reminders may go out, e.g. 09:00-17:00")
    controller_email: str | None = Field(
        None, alias="Controller Email",
        description="Credit controller who gets the weekly digest")
    handoff_days: int = Field(
        90, ge=1, le=3650, alias="Hand-off Days",
        description="Hand-off rule: a customer with an item this many days past due (after "
                    "the final dunning level was sent) is listed for an agency or solicitor")
    handoff_minimum: float = Field(
        250.0, ge=0, alias="Hand-off Minimum",
        description="Hand-off rule: and at least this much overdue (base currency)")
    page_link_days: int = Field(
        30, ge=1, le=365, alias="Page Link Days",
        description="Days a reminder's link to the debtor's own page stays valid")
    statement_day: int | Literal["first business day"] | None = Field(
        None, alias="Statement Day",
        description="Day of the month (1 to 28) or 'first business day' the backend mails "
                    "each customer with a balance its statement of last month; blank = none")
    date_order: Literal["DMY", "MDY"] | None = Field(
        None, alias="Date Order",
        description="DMY or MDY: how dates such as 03/11/2026 are read when a column could be "
                    "either; blank = from the data, else from Country")
    envelope_window: Literal["UK DL", "DIN 5008"] = Field(
        "UK DL", alias="Envelope Window",
        description="Where statements and letters print the postal address: UK DL (20 mm "
                    "from the left, 50 mm down) or DIN 5008 (form B: 45 mm down, under a "
                    "return-address line)")
    business_reply_days: int = Field(
        14, ge=1, le=365, alias="Business Reply Days",
        description="The reply period a letter before action gives a business (the Practice "
                    "Direction on Pre-Action Conduct: a reasonable period, 14 days in a "
                    "simple case); chasing waits for it")
    company_address: str | None = Field(
        None, alias="Company Address",
        description="Your postal address (several lines): where a letter before action asks "
                    "the debtor to send the Reply Form")
    backend_url: str | None = Field(
        None, alias="Backend URL",
        description="The Creditdesk backend (Send and Sync); the API key is never kept here")

    @model_validator(mode="before")
    @classmethod
    def _base_from_country(cls, data: Any) -> Any:
        """A blank or missing Base Currency is the Country's currency."""
        if not isinstance(data, dict):
            return data
        keys = ("base_currency", "Base Currency")
        if any(not is_blank(data.get(k)) for k in keys if k in data):
            return data
        country = next((data[k] for k in ("country", "Country") if k in data), "GB")
        data = {k: v for k, v in data.items() if k not in keys}
        data["base_currency"] = country_currency(str(country)) or FALLBACK_CURRENCY
        return data

    @field_validator("as_of_date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if is_blank(v):
            return None
        parsed = date_or_reason(v)
        if isinstance(parsed, str):
            raise ValueError(parsed)
        return parsed

    @field_validator("base_currency", mode="before")
    @classmethod
    def _currency(cls, v: Any) -> Any:
        code = str(v).strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"'{v}' is not a three-letter currency code")
        return code

    @field_validator("ageing_basis", mode="before")
    @classmethod
    def _basis(cls, v: Any) -> Any:
        text = normalise_header(v)
        for option in ("Due Date", "Invoice Date"):
            if text == normalise_header(option):
                return option
        raise ValueError(f"'{v}' is not Due Date or Invoice Date")

    @field_validator("envelope_window", mode="before")
    @classmethod
    def _envelope(cls, v: Any) -> Any:
        if is_blank(v):
            return "UK DL"
        text = re.sub(r"[\s_-]+", "", str(v)).upper()
        window = {"UKDL": "UK DL", "DL": "UK DL", "UK": "UK DL", "DIN5008": "DIN 5008",
                  "DIN5008B": "DIN 5008", "DIN": "DIN 5008"}.get(text)
        if window is None:
            raise ValueError(f"'{v}' is not UK DL or DIN 5008")
        return window

    @field_validator("statement_day", mode="before")
    @classmethod
    def _statement_day(cls, v: Any) -> Any:
        if is_blank(v):
            return None
        text = " ".join(str(v).split()).casefold()
        if text in ("first business day", "first working day"):
            return "first business day"
        try:
            day = float(text)
        except ValueError:
            day = 0.5
        if not day.is_integer() or not 1 <= day <= 28:
            raise ValueError(f"'{v}' is not a day of the month from 1 to 28 or 'first "
                             "business day'")
        return int(day)

    @field_validator("late_payment_law", mode="before")
    @classmethod
    def _law(cls, v: Any) -> Any:
        if is_blank(v):
            return "None"
        text = str(v).strip().upper()
        return {"NONE": "None", "NO": "None", "UK": "UK", "GB": "UK", "EU": "EU"}.get(text, v)

    @field_validator("bucket_edges", mode="before")
    @classmethod
    def _edges(cls, v: Any) -> Any:
        if isinstance(v, int | float):
            parts = [v]
        else:
            parts = [p for p in str(v).replace(";", ",").split(",") if p.strip()]
        try:
            edges = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"'{v}' is not a list of days such as 30,60,90,120") from None
        if not edges or any(e <= 0 or not e.is_integer() for e in edges):
            raise ValueError("bucket edges must be whole numbers of days above 0")
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("bucket edges must increase, e.g. 30,60,90,120")
        return tuple(int(e) for e in edges)

    @field_validator("automation", mode="before")
    @classmethod
    def _yes_no(cls, v: Any) -> Any:
        if isinstance(v, bool):
            return v
        word = str(v).strip().casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"'{v}' is not Yes or No")

    @field_validator("send_window", mode="before")
    @classmethod
    def _window(cls, v: Any) -> Any:
        if isinstance(v, tuple):
            return v
        m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*",
                         str(v))
        try:
            start = dt.time(int(m[1]), int(m[2] or 0))
            end = dt.time(int(m[3]), int(m[4] or 0)) if m[3] != "24" else dt.time.max
        except (TypeError, ValueError):
            raise ValueError(f"'{v}' is not a window such as 09:00-17:00") from None
        if end <= start:
            raise ValueError(f"'{v}': the window must end after it starts")
        return (start, end)

    @field_validator("date_order", mode="before")
    @classmethod
    def _order(cls, v: Any) -> Any:
        if is_blank(v):
            return None
        text = re.sub(r"[^a-z]", "", str(v).casefold())
        for order, words in (("DMY", ("dmy", "ddmmyyyy", "ddmmyy", "daymonthyear", "dayfirst")),
                             ("MDY", ("mdy", "mmddyyyy", "mmddyy", "monthdayyear",
                                      "monthfirst"))):
            if text in words:
                return order
        raise ValueError(f"'{v}' is not DMY (day/month/year) or MDY (month/day/year)")

    @field_validator("backend_url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> Any:
        if is_blank(v):
            return None
        text = str(v).strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
            raise ValueError(f"'{v}' is not a web address such as https://api.example.com")
        return text

    @field_validator("sender_email", "reply_to", "controller_email", mode="before")
    @classmethod
    def _email(cls, v: Any) -> Any:
        if is_blank(v):
            return None
        problem = email_problem(str(v).strip())
        if problem:
            raise ValueError(problem)
        return str(v).strip()

    @field_validator("payment_details", "phone", "company_address", mode="before")
    @classmethod
    def _text(cls, v: Any, info: ValidationInfo) -> Any:
        """Spaces tidied; Payment Details and Company Address keep their lines, Phone is one
        line."""
        if is_blank(v):
            return None
        lines = [" ".join(line.split()) for line in str(v).strip().splitlines()]
        joined = "\n".join(line for line in lines if line)
        if info.field_name in ("payment_details", "company_address"):
            return joined[:2000]
        return " ".join(lines)[:100]

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, v: Any) -> Any:
        try:
            ZoneInfo(str(v).strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not a time zone such as Europe/London") from None
        return str(v).strip()

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, v: Any) -> Any:
        code = str(v).strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise ValueError(f"'{v}' is not a two-letter country code such as GB or DE")
        return code

    @field_validator(
        "contract_interest_rate",
        "minimum_reminder_amount",
        "review_utilisation_pct",
        "review_score",
        "limit_raise_review_pct",
        mode="before",
    )
    @classmethod
    def _percent(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = v.strip().rstrip("%").strip()
            return text if text else None
        return v

    # -- what the rules read ---------------------------------------------------------------
    def bucket_labels(self) -> list[str]:
        """The ageing buckets: Not due (by invoice date: 0, invoiced on the as-of date),
        then one per edge, upper-inclusive, then Over the last edge."""
        labels = ["Not due" if self.ageing_basis == "Due Date" else "0"]
        low = 1
        for edge in self.bucket_edges:
            labels.append(f"{low}-{edge}")
            low = edge + 1
        labels.append(f"Over {self.bucket_edges[-1]}")
        return labels

    def dates(self) -> tuple[str, str]:
        """The order for a date column that could be read either way, and why."""
        if self.date_order:
            return self.date_order, "the Date Order setting"
        if self.country in MONTH_FIRST_COUNTRIES:
            return "MDY", f"Country is {self.country}; set Date Order to change it"
        return "DMY", f"Country is {self.country}; set Date Order to MDY if they are month/day"

    def as_of(self, today: dt.date | None = None) -> dt.date:
        return self.as_of_date or today or dt.date.today()


_FIELDS = {normalise_header(f.alias or name): name for name, f in Settings.model_fields.items()}


def _message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def parse_settings(
    rows: Iterable[tuple[int, object, object]], sheet: str = "Settings"
) -> tuple[Settings, list[Issue]]:
    """``rows`` are (worksheet row, Setting, Value).

    A bad value keeps its default and becomes an issue.
    """
    values: dict[str, Any] = {}
    issues: list[Issue] = []
    for row, name, value in rows:
        key = normalise_header(name)
        if not key:
            continue
        field = _FIELDS.get(key)
        if field is None:
            issues.append(Issue(sheet, row, "Setting", f"unknown setting '{name}' (ignored)"))
            continue
        if is_blank(value) and field != "as_of_date":
            continue
        if isinstance(value, str):
            value = value.strip()
        try:
            Settings.model_validate({field: value})
        except ValidationError as exc:
            default = Settings.model_fields[field].default
            shown = ("the currency of Country" if field == "base_currency"
                     else format_setting(default) if isinstance(default, tuple)
                     else "today" if default is None else default)
            issues.append(
                Issue(sheet, row, "Value", f"{name}: {_message(exc)}; using {shown!s}")
            )
            continue
        values[field] = value
    settings = Settings.model_validate(values)
    if "base_currency" not in values and country_currency(settings.country) is None:
        issues.append(Issue(sheet, None, "Base Currency",
                            f"Base Currency is blank and Country {settings.country} has no "
                            f"currency known to Creditdesk; using {settings.base_currency}: "
                            "set Base Currency"))
    return settings, issues


def format_setting(value: Any) -> str:
    """A setting's value as a user types it into the Settings table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple) and value and isinstance(value[0], dt.time):
        return "-".join(t.strftime("%H:%M") for t in value)
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def settings_rows(settings: Settings | None = None) -> list[list]:
    """[Setting, Value, Notes] rows for a Settings table: every setting, as typed in Excel.

    Without ``settings``, the defaults, Base Currency left blank (it follows Country)."""
    from typing import Literal, get_args, get_origin

    given = settings is not None
    settings = settings or Settings()
    rows = []
    for name, f in Settings.model_fields.items():
        value = getattr(settings, name)
        if name == "base_currency" and not given:
            value = None  # blank: the Country's currency
        if isinstance(value, bool | tuple):
            value = format_setting(value)
        note = f.description or ""
        options = get_args(f.annotation) if get_origin(f.annotation) is Literal else ()
        if options:
            note = "One of: " + ", ".join(map(str, options))
        rows.append([f.alias, "" if value is None else value, note])
    return rows
