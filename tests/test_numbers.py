"""Numbers typed the Indonesian way, capaian for both directions, and the formats people read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fmt import (
    NumberParseError,
    format_date_long_id,
    format_datetime_id,
    format_number_id,
    parse_number_id,
)
from bot.procedure.capaian import (
    Target,
    category,
    combine_periods,
    compute_capaian,
    looks_suspicious,
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("87,5", "87.5"),
        ("1.250", "1250"),
        ("90%", "90"),
        ("1.250,75", "1250.75"),
        ("87.5", "87.5"),
        ("  12 ", "12"),
        ("-3", "-3"),
        ("Rp 1.500.000", "1500000"),
        (",5", "0.5"),
    ],
)
def test_indonesian_numbers(typed: str, value: str):
    assert parse_number_id(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "kosong"),
        ("delapan puluh", "harus berupa angka"),
        ("1,2,3", "lebih dari satu koma"),
        ("1.25.0", "tidak dapat dibaca"),
        ("12a", "harus berupa angka"),
    ],
)
def test_nonsense_gets_a_precise_indonesian_message(typed: str, says: str):
    with pytest.raises(NumberParseError) as err:
        parse_number_id(typed)
    assert says in str(err.value)


def test_capaian_higher_is_better():
    t = Target.parse("80")
    assert compute_capaian(Decimal("72"), t) == Decimal("90.00")
    assert compute_capaian(Decimal("100"), t) == Decimal("125.00")
    assert compute_capaian(None, t) is None


def test_capaian_lower_is_better_both_methods():
    t = Target.parse("10")
    assert compute_capaian(Decimal("12"), t, "lower") == Decimal("80.00")  # (2t − r) / t
    assert compute_capaian(Decimal("25"), t, "lower") == Decimal("0")  # floored at 0
    assert compute_capaian(Decimal("8"), t, "lower", "inverse") == Decimal("125.00")  # t / r
    assert compute_capaian(Decimal("1"), t, "lower", "inverse") == Decimal("200")  # capped


def test_capaian_range_and_zero_targets():
    t = Target.parse("80–90")
    assert t.is_range and str(t) == "80–90"
    assert compute_capaian(Decimal("85"), t) == Decimal("100")
    assert compute_capaian(Decimal("72"), t) == Decimal("90.00")  # against the lower bound
    zero = Target.parse("0")
    assert compute_capaian(Decimal("0"), zero, "lower") == Decimal("100")
    assert compute_capaian(Decimal("2"), zero, "lower") == Decimal("0")


def test_values_that_need_confirming():
    assert looks_suspicious(Decimal("151"), Decimal("151"))
    assert not looks_suspicious(Decimal("150"), Decimal("150"))
    assert looks_suspicious(Decimal("0"), Decimal("-1"))


def test_categories_and_year_to_date():
    assert [category(Decimal(x)) for x in (95, 80, 70, 55, 40)] == [
        "Sangat Tinggi",
        "Tinggi",
        "Sedang",
        "Rendah",
        "Sangat Rendah",
    ]
    q = [
        (Decimal(20), Target.parse("25")),
        (Decimal(30), Target.parse("25")),
        (None, Target.parse("25")),
    ]
    total, target = combine_periods(q, "cumulative")
    assert total == Decimal(50) and target == Target(Decimal(50), Decimal(50))
    assert combine_periods(q, "latest") == (Decimal(30), Target.parse("25"))


def test_formats_people_read():
    assert format_number_id(Decimal("1250.5")) == "1.250,5"
    assert format_date_long_id(date(2026, 11, 26)) == "Kamis, 26 November 2026"
    assert format_datetime_id(datetime(2026, 11, 26, 8, 0, tzinfo=UTC), "Asia/Makassar") == (
        "Kamis, 26 November 2026 pukul 16.00 WITA"
    )


# --- numbers beyond the column, and any text at all -------------------------------------

NUMERIC_18_4 = Decimal(10) ** 14


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("999999999999999999999999999999", "Angka terlalu besar"),
        ("100.000.000.000.000", "Angka terlalu besar"),
        ("99999999999999,99999", "Angka terlalu besar"),
        ("-999999999999999", "Angka terlalu besar"),
        ("1e309", "harus berupa angka"),
        ("NaN", "harus berupa angka"),
        ("Infinity", "harus berupa angka"),
        ("-inf", "harus berupa angka"),
        ("+-5", "harus berupa angka"),
        ("12\x00", "harus berupa angka"),
        ("1" * 5000, "Angka terlalu besar"),
    ],
)
def test_numbers_the_column_cannot_hold_are_refused_in_indonesian(typed: str, says: str):
    with pytest.raises(NumberParseError) as err:
        parse_number_id(typed)
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("-0", "0"),
        ("99999999999999,9999", "99999999999999.9999"),
        ("87,123456", "87.1235"),
        ("\u0661\u0662\u0663,\u0665", "123.5"),  # Arabic-Indic digits
        ("\uff11\uff12", "12"),  # full-width digits
        ("\u22125", "-5"),  # the minus sign
        ("\u200f12,5", "12.5"),  # a right-to-left mark before the number
        ("0," + "0" * 5000 + "1", "0"),
    ],
)
def test_unusual_but_readable_numbers(typed: str, value: str):
    got = parse_number_id(typed)
    assert got == Decimal(value) and str(got) != "-0"


@given(st.text(max_size=60) | st.from_regex(r"[-+]?[0-9.,]{0,40}", fullmatch=True))
@settings(max_examples=1000, deadline=None)
def test_any_text_is_a_number_that_fits_the_column_or_a_clear_refusal(text: str):
    try:
        value = parse_number_id(text)
    except NumberParseError as err:
        assert str(err)
        return
    assert value.is_finite() and abs(value) < NUMERIC_18_4
    assert value == value.quantize(Decimal("0.0001"))
