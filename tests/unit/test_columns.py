"""Column converters: raw cells from files, xlwings or JSON into typed columns."""

import datetime as dt
import math

import numpy as np

from creditdesk.domain.cells import to_bool, to_date, to_integer, to_number, to_text


def test_numbers_fast_path_and_blanks():
    arr, errors = to_number([1, 2.5, None, "", float("nan")])
    assert errors == {}
    assert arr[:2].tolist() == [1.0, 2.5] and np.isnan(arr[2:]).all()


def test_text_and_booleans_in_number_columns_are_errors():
    arr, errors = to_number(["12", "(5.00)", "abc", True, dt.date(2026, 1, 1)])
    assert arr[:2].tolist() == [12.0, -5.0]
    assert set(errors) == {2, 3, 4}
    assert "'abc' is not a number" in errors[2]


def test_whole_numbers():
    arr, errors = to_integer([30, "45", 2.5])
    assert arr[:2].tolist() == [30.0, 45.0]
    assert errors == {2: "2.5 is not a whole number"}


def test_excel_serial_numbers_become_dates():
    arr, errors = to_date([46023, 1, 59, 61, 60])
    assert arr[:4].tolist() == [dt.date(2026, 1, 1), dt.date(1900, 1, 1), dt.date(1900, 2, 28),
                                dt.date(1900, 3, 1)]
    assert list(errors) == [4]  # Excel's 29 February 1900


def test_datetimes_lose_their_time_of_day():
    arr, _ = to_date([dt.datetime(2026, 3, 1, 23, 59), np.datetime64("2026-03-02T10:00")])
    assert arr.tolist() == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


def test_years_outside_1900_to_2199_are_impossible():
    _, errors = to_date([dt.date(1066, 10, 14), "2300-01-01"])
    assert set(errors) == {0, 1}


def test_yes_no_words():
    arr, errors = to_bool(["Yes", "no", "Y", "", None, 1, 0, "x", "TRUE", "maybe"])
    assert arr.tolist() == [True, False, True, False, False, True, False, True, True, False]
    assert list(errors) == [9]


def test_text_keeps_invoice_numbers_typed_as_numbers_whole():
    assert to_text([1001.0, 12.5, "  A-1 ", None, math.nan]).tolist() == [
        "1001", "12.5", "A-1", "", ""]
