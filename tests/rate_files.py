"""Rate histories in the shapes the Bank of England and the ECB publish them, for the tests of
``creditdesk rates update``.

The rows up to the shipped tables' ``checked_until`` are the real rates (from the shipped
tables, and the ECB's 1999-2000 fixed-rate tenders); the later ones are made up for the tests
(a cut to 3.50% on 7 May 2026, to 1.90% on 22 April 2026): a table that is out of date is
what the command is for.
"""

from __future__ import annotations

import datetime as dt

from creditdesk.domain.interest import rate_table
from creditdesk.domain.rates import changes_of

UK_CUT = (dt.date(2026, 5, 7), 3.5)
EU_CUT = (dt.date(2026, 4, 22), 1.9)
# The ECB's fixed-rate tenders of 1999-2000, before the variable-rate years (2000-2008) the
# shipped table holds minimum bid rates for; MRR_FR has no values in between.
ECB_1999 = [(dt.date(1999, 1, 1), 3.0), (dt.date(1999, 4, 9), 2.5), (dt.date(1999, 11, 5), 3.0),
            (dt.date(2000, 2, 4), 3.25), (dt.date(2000, 3, 17), 3.5),
            (dt.date(2000, 4, 28), 3.75), (dt.date(2000, 6, 9), 4.25)]
ECB_FIXED_AGAIN = dt.date(2008, 10, 15)


def _uk_changes() -> list[tuple[dt.date, float]]:
    return [*changes_of(rate_table("UK")), UK_CUT]


def boe_bank_rate_page() -> str:
    """The table of https://www.bankofengland.co.uk/boeapps/database/Bank-Rate.asp saved as
    CSV: "Date Changed" and "Rate", dates as the page shows them (18 Dec 25), newest first."""
    lines = ["Date Changed,Rate"]
    lines += [f"{d:%d %b %y},{r:.2f}" for d, r in reversed(_uk_changes())]
    return "\r\n".join(lines) + "\r\n"


def boe_iudbedr_daily(first: dt.date = dt.date(2025, 1, 2), last: dt.date = dt.date(2026, 6, 30)
                      ) -> str:
    """The Bank of England database's CSV export of series IUDBEDR (Official Bank Rate, daily):
    one row per business day, dates like 02 Jan 2025."""
    changes = _uk_changes()
    lines = ["DATE,IUDBEDR"]
    day = first
    while day <= last:
        if day.weekday() < 5:
            rate = [r for d, r in changes if d <= day][-1]
            lines.append(f"{day:%d %b %Y},{rate:g}")
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


def _eu_changes() -> list[tuple[dt.date, float]]:
    later = [(d, r) for d, r in changes_of(rate_table("EU")) if d >= ECB_FIXED_AGAIN]
    return [*ECB_1999, *later, EU_CUT]


TITLE = ("Main refinancing operations - fixed rate tenders (fixed rate) (date of changes) - "
         "Level (FM.B.U2.EUR.4F.KR.MRR_FR.LEV)")


def ecb_data_portal() -> str:
    """The ECB Data Portal's CSV download of the MRO rate (date of changes): DATE, TIME PERIOD
    and the series' title, every value quoted."""
    lines = [f'"DATE","TIME PERIOD","{TITLE}"']
    lines += [f'"{d.isoformat()}","{d:%d %b %Y}","{r:g}"' for d, r in _eu_changes()]
    return "\n".join(lines) + "\n"


SDMX_HEADER = ("KEY,FREQ,REF_AREA,CURRENCY,PROVIDER_FM,INSTRUMENT_FM,PROVIDER_FM_ID,"
               "DATA_TYPE_FM,TIME_PERIOD,OBS_VALUE,OBS_STATUS,OBS_CONF,OBS_PRE_BREAK,OBS_COM,"
               "TIME_FORMAT,BREAKS,COLLECTION,COMPILING_ORG,DISS_ORG,DOM_SER_IDS,PUBL_ECB,"
               "PUBL_MU,PUBL_PUBLIC,UNIT_INDEX_BASE,COMPILATION,COVERAGE,DECIMALS,NAT_TITLE,"
               "SOURCE_AGENCY,SOURCE_PUB,TITLE,TITLE_COMPL,UNIT,UNIT_MULT")


def ecb_sdmx_csv(with_deposit_rate: bool = True) -> str:
    """The ECB data API's answer with format=csvdata (SDMX-CSV), the key rates' dataflow FM:
    the MRO rate and, in the same answer, the deposit facility rate."""
    def row(instrument: str, title: str, d: dt.date, r: float) -> str:
        key = f"FM.B.U2.EUR.4F.KR.{instrument}.LEV"
        return (f"{key},B,U2,EUR,4F,KR,{instrument},LEV,{d.isoformat()},{r:g},A,F,,,P1D,,E,"
                f"4F0,,,,,,,,,4,,4F0,,\"{title}\",\"{title} - date of changes\",PCPA,0")
    lines = [SDMX_HEADER]
    lines += [row("MRR_FR", "Main refinancing operations - fixed rate tenders (fixed rate)", d,
                  r) for d, r in _eu_changes()]
    if with_deposit_rate:
        lines += [row("DFR", "Deposit facility", d, r - 0.15) for d, r in _eu_changes()[-6:]]
    return "\n".join(lines) + "\n"
