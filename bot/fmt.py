"""Indonesian dates, times, numbers and durations (Babel, locale "id"), and parsing the
numbers people type ("87,5", "1.250", "90%")."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from bot.procedure.capaian import meets_target, target_status
from bot.texts import t

_ID = Locale.parse("id")
ZONE_ABBR = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class NumberParseError(ValueError):
    """The text is not a number; the message says why, in Indonesian."""


class NumberTooLargeError(NumberParseError):
    """A number, but beyond what the realisation column (Numeric(18, 4)) holds."""


def zone_abbr(tz: str, dt: datetime) -> str:
    if tz in ZONE_ABBR:
        return ZONE_ABBR[tz]
    off = dt.utcoffset() or timedelta(0)
    hours = off.total_seconds() / 3600
    return f"UTC{hours:+g}"


def format_date_id(d: date) -> str:
    return format_date(d, "d MMMM y", locale="id")


def format_date_long_id(d: date) -> str:
    return format_date(d, "EEEE, d MMMM y", locale="id")


def format_time_id(dt_utc: datetime, tz: str) -> str:
    local = dt_utc.astimezone(ZoneInfo(tz))
    return f"{local:%H.%M} {zone_abbr(tz, local)}"


def format_datetime_id(dt_utc: datetime, tz: str) -> str:
    """ "Senin, 23 November 2026 pukul 08.00 WITA"."""
    local = dt_utc.astimezone(ZoneInfo(tz))
    return f"{format_date_long_id(local.date())} pukul {format_time_id(dt_utc, tz)}"


@lru_cache(maxsize=8)
def _number_pattern(max_decimals: int) -> NumberPattern:
    """Babel's parsed pattern, kept: `format_decimal` parses it again on every call (half
    of its time; a form's summary formats a dozen numbers)."""
    return parse_pattern("#,##0" + ("." + "#" * max_decimals if max_decimals else ""))


def format_number_id(x: Decimal | float | int | None, max_decimals: int = 2) -> str:
    if x is None:
        return "-"
    return _format_number(str(x), max_decimals)


@lru_cache(maxsize=4096)
def _format_number(text: str, max_decimals: int) -> str:
    """Kept once formatted: a form's summary shows the same answers and targets at every
    step (Babel's formatting is about 0.03 ms a number)."""
    return _number_pattern(max_decimals).apply(Decimal(text), _ID)


def format_percent_id(x: Decimal | float | int | None) -> str:
    """ "92,5%": the one way a percent is written in chat, the sign against the number."""
    return "-" if x is None else f"{format_number_id(x)}%"


def format_quantity_id(x: Decimal | float | int | None, unit: str | None) -> str:
    """A value with its unit as a person reads it: "92,5%" (a percent as `format_percent_id`
    writes it), "6 kegiatan"."""
    if unit is not None and unit.strip() in ("%", "persen"):
        return format_percent_id(x)
    return f"{format_number_id(x)} {unit}".rstrip() if unit else format_number_id(x)


def capaian_chat(capaian: Decimal | None) -> str:
    """The capaian as chat shows it, plainly against the target: "capaian 94,12% — belum
    mencapai target". The regulation's category band ("Sangat Tinggi (> 90%)") belongs to
    the documents: beside a value below target it reads as praise."""
    if capaian is None:
        return t("capaian_chat_none")
    return t("capaian_chat", capaian=format_percent_id(capaian), status=target_status(capaian))


def capaian_icon(capaian: Decimal | None) -> str:
    """✅ only for a target reached; ⚠️ below it (never a tick beside a shortfall)."""
    met = meets_target(capaian)
    if met is None:
        return t("capaian_icon_none")
    return t("capaian_icon_met" if met else "capaian_icon_not_met")


def short_hash(content_hash: str) -> str:
    """A report's verification code as a person reads it in chat: the content hash's first
    eight hex characters in two groups ("3f9a 21c7"); the PDF and the manifest keep it whole."""
    return f"{content_hash[:4]} {content_hash[4:8]}" if content_hash else "-"


_THOUSANDS = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")
# Answer.realisation is Numeric(18, 4): 14 digits before the decimal mark, 4 after.
MAX_INT_DIGITS = 14
DECIMALS = Decimal("0.0001")
_MINUS = "\u2212\u2012\u2013\u2014\ufe63\uff0d"  # minus signs and dashes typed for "-"


def _ascii_digits(s: str) -> str:
    """Digits of any script (Arabic-Indic, full-width...) as ASCII; invisible format marks
    (right-to-left mark, zero-width space) dropped; other characters kept."""
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
        for ch in s
        if unicodedata.category(ch) != "Cf"
    )


def parse_number_id(text: str) -> Decimal:
    """Parse a number typed the Indonesian way. A dot followed by exactly three digits groups
    thousands ("1.250" = 1250); a comma is the decimal mark ("87,5"); a lone dot with one,
    two or four and more digits is read as a decimal point ("87.5"). The result fits the
    realisation column: at most 14 digits before the mark, rounded to 4 after it."""
    s = re.sub(r"\s+", "", _ascii_digits(text))
    s = "".join("-" if ch in _MINUS else ch for ch in s)
    if not s:
        raise NumberParseError("Jawaban kosong. Ketik angka, misalnya 87,5 atau 1.250.")
    s = re.sub(r"^(rp\.?)", "", s, flags=re.I).rstrip("%")
    neg = s.startswith("-")
    s = s[1:] if s[:1] in ("-", "+") else s
    if not s or re.search(r"[^0-9.,]", s):
        raise NumberParseError("Jawaban harus berupa angka, misalnya 87,5 atau 1.250.")
    if s.count(",") > 1:
        raise NumberParseError(
            f'"{text.strip()[:40]}" memiliki lebih dari satu koma. Pakai satu koma untuk '
            "desimal, misalnya 87,5."
        )
    whole, _, frac = s.partition(",")
    if "." in whole:
        if _THOUSANDS.match(whole):
            whole = whole.replace(".", "")
        elif whole.count(".") == 1 and not frac:
            whole, frac = whole.split(".")
        else:
            raise NumberParseError(
                f'"{text.strip()[:40]}" tidak dapat dibaca sebagai angka. Pakai titik untuk '
                "ribuan (1.250) dan koma untuk desimal (87,5)."
            )
    if not (whole or frac) or not (whole + frac).isdigit():  # e.g. ",." or "1,2.3"
        raise NumberParseError("Jawaban harus berupa angka, misalnya 87,5 atau 1.250.")
    if len(whole.lstrip("0")) > MAX_INT_DIGITS:  # before Decimal: no huge arithmetic
        raise NumberTooLargeError(t("number_too_large", digits=MAX_INT_DIGITS))
    value = Decimal(f"{whole or '0'}.{frac or '0'}")
    if len(frac) > 4:
        value = value.quantize(DECIMALS, rounding=ROUND_HALF_UP)
    if value >= 10**MAX_INT_DIGITS:  # 99999999999999,99999 rounds up to 15 digits
        raise NumberTooLargeError(t("number_too_large", digits=MAX_INT_DIGITS))
    if value == 0:
        return value.copy_abs()  # "-0" is 0
    return -value if neg else value
