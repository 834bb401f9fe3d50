"""Bad office files: each is a small variation of the example, refused whole with one line
per error naming the entry and the field, and the database is left exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.office.load import OfficeFileError, import_file
from db.engine import Database
from db.models import Base, Indicator, IndicatorTarget, Office, Person, Section
from tests.conftest import EXAMPLE

# A second office already in the database: its people's Telegram id and WhatsApp number
# may not be claimed by Astambul's file.
OTHER = """
office: {code: martapura, name: Kecamatan Martapura}
people:
  - {nip: "198001012005011001", name: Admin Martapura, roles: [admin],
     telegram_id: 5551, whatsapp: "081234567890"}
"""

Change = Callable[[str], str | bytes]


def sub(old: str, new: str) -> Change:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def subs(*pairs: tuple[str, str]) -> Change:
    def change(text: str) -> str:
        for old, new in pairs:
            text = sub(old, new)(text)
        return text

    return change


def const(value: str | bytes) -> Change:
    return lambda _text: value


TIM = 'position: "Pranata Komputer", roles: [tim_sakip]}'
TIM2 = 'position: "Pengelola Data", roles: [tim_sakip]}'
KASI_PEM = 'position: "Kasi Pemerintahan", roles: [kepala_seksi]}'
PEM2 = '"2026": 24,'
PEM3 = '"2026": "80-90"'
CAMAT_NAME = '"Drs. Ahmad Fauzi, M.Si (contoh)"'
# "billion laughs": nine lines that stand for 9**9 values once every alias is written out
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)
ACTING = "acting: []"

CASES: list[tuple[str, Change, list[str]]] = [
    # roles and heads
    ("unknown_role", sub("roles: [camat]", "roles: [camatt]"), ["people[0].roles: unknown role 'camatt'"]),
    ("role_twice", sub("roles: [camat]", "roles: [camat, camat]"), ["people[0].roles: a role appears twice"]),
    (
        "head_not_kepala_seksi",
        sub('head: "197807072003121007"', 'head: "197001011990011001"'),
        ["sections[0].head: Drs. Ahmad Fauzi, M.Si (contoh) (197001011990011001) lacks the role kepala_seksi"],
    ),
    (
        "head_inactive",
        sub(KASI_PEM, KASI_PEM[:-1] + ", active: false}"),
        ["sections[0].head: H. Abdul Basit, S.IP (contoh) (197807072003121007) is not active"],
    ),
    ("head_unknown", sub('head: "198109092008012009"', 'head: "1234"'), ["sections[2].head: no person with NIP '1234'"]),
    # targets
    ("target_negative", sub(PEM2, '"2026": -5,'), ["sections[0].indicators[1].targets: target for 2026: '-5' must be more than zero"]),
    ("target_zero_higher", sub(PEM2, '"2026": 0,'), ["sections[0].indicators[1].targets: target for 2026: '0' must be more than zero (or set zero_target: true)"]),
    ("target_zero_range", sub(PEM3, '"2026": "0-90"'), ["sections[0].indicators[2].targets: target for 2026: '0-90' must be more than zero"]),
    ("range_reversed", sub(PEM3, '"2026": "90-80"'), ["sections[0].indicators[2].targets: target for 2026: range '90-80' must go from low to high"]),
    ("range_empty", sub(PEM3, '"2026": "85-85"'), ["sections[0].indicators[2].targets: target for 2026: range '85-85' must go from low to high"]),
    ("target_words", sub(PEM2, '"2026": dua puluh,'), ["sections[0].indicators[1].targets: target for 2026: not a number or range: 'dua puluh'"]),
    ("target_huge", sub(PEM2, '"2026": 1000000000000000,'), ["sections[0].indicators[1].targets: target for 2026: '1000000000000000' is too large"]),
    ("target_bool", sub(PEM2, '"2026": true,'), ["sections[0].indicators[1].targets: target for 2026: not a number or range: 'True'"]),
    ("target_infinite", sub(PEM2, '"2026": .inf,'), ["sections[0].indicators[1].targets: target for 2026: not a number or range: 'inf'"]),
    ("period_bad", sub(PEM2, '"2026-Q5": 24,'), ["sections[0].indicators[1].targets: period '2026-Q5' must look like 2026 or 2026-Q3"]),
    ("period_twice", sub(PEM2, '"2026": 24, 2026: 25,'), ["sections[0].indicators[1].targets: period '2026' appears twice"]),
    ("targets_missing", sub('"2025": 24, ' + PEM2 + ' "2026-Q1": 6, "2026-Q2": 6, "2026-Q3": 6, "2026-Q4": 6', ""), ["sections[0].indicators[1].targets: at least one target"]),
    ("realisation_bad", sub('realisations: {"2025": 22}', 'realisations: {"2025": "banyak"}'), ["sections[0].indicators[1].realisations: realisation for 2025: not a number: 'banyak'"]),
    ("realisation_year_bad", sub('realisations: {"2025": 22}', 'realisations: {"2025-Q1": 22}'), ["sections[0].indicators[1].realisations: year '2025-Q1' must look like 2025"]),
    ("renstra_two", sub('renstra_target: {"2026": 26}', 'renstra_target: {"2026": 26, "2031": 30}'), ["sections[0].indicators[1].renstra_target: one entry"]),
    ("renstra_descending", sub('renstra_target: {"2026": 26}', 'renstra_target: {"2026": "30-26"}'), ["sections[0].indicators[1].renstra_target: Renstra target for 2026: range '30-26' must go from low to high"]),
    ("rank_101", sub('rank: "Pembina (IV/a)"', 'rank: "' + "P" * 101 + '"'), ["people[1].rank: String should have at most 100 characters"]),
    ("polarity_unknown", sub("polarity: lower,", "polarity: turun,"), ["sections[1].indicators[0].polarity: Input should be 'higher' or 'lower'"]),
    # NIP
    ("nip_17_digits", sub('"197001011990011001"', '"19700101199001100"'), ["people[0].nip: must be 18 digits"]),
    ("nip_40_chars", sub('"197001011990011001"', '"' + "1" * 40 + '"'), ["people[0].nip: must be 18 digits"]),
    ("nip_letters", sub('"197001011990011001"', '"19700101199001100X"'), ["people[0].nip: must be 18 digits"]),
    ("nip_twice", sub('"197502022000032002"', '"197001011990011001"'), ["people[1].nip: '197001011990011001' also at people[0]"]),
    # lengths within the columns
    ("name_300", sub(CAMAT_NAME, '"' + "A" * 300 + '"'), ["people[0].name: String should have at most 200 characters"]),
    ("name_empty", sub(CAMAT_NAME, '"  "'), ["people[0].name: String should have at least 1 character"]),
    ("position_201", sub('"Camat BERUBAH"', '"' + "P" * 201 + '"'), ["people[0].position: String should have at most 200 characters"]),
    ("section_code_65", sub("code: pem\n", "code: " + "p" * 65 + "\n"), ["sections[0].code: String should have at most 64 characters"]),
    ("section_code_space", sub("code: pem\n", "code: pem baru\n"), ["sections[0].code: only letters, digits"]),
    ("indicator_code_70", sub("code: PEM-1,", "code: " + "P" * 70 + ","), ["sections[0].indicators[0].code: String should have at most 64 characters"]),
    ("unit_65", sub("unit: kegiatan,", "unit: " + "k" * 65 + ","), ["sections[0].indicators[1].unit: String should have at most 64 characters"]),
    ("office_name_201", sub("name: Kecamatan Astambul", "name: " + "K" * 201), ["office.name: String should have at most 200 characters"]),
    ("office_code_upper", sub("code: astambul", "code: Astambul"), ["office.code: String should match pattern"]),
    ("timezone_unknown", sub("timezone: Asia/Makassar", "timezone: Mars/Olympus"), ["office.timezone: unknown time zone 'Mars/Olympus'"]),
    # text that a database cannot hold
    ("name_nul", sub(CAMAT_NAME, '"Drs.\\0 Ahmad"'), ["people[0].name: contains a control character (U+0000)"]),
    ("name_surrogate", sub(CAMAT_NAME, '"Drs. \\ud800 Ahmad"'), ["people[0].name: Input should be a valid string, unable to parse raw data as a unicode string"]),
    # Telegram ids and WhatsApp numbers
    ("telegram_twice", subs((TIM, TIM[:-1] + ", telegram_id: 5001}"), (TIM2, TIM2[:-1] + ", telegram_id: 5001}")), ["people[4].telegram_id: '5001' also at people[3]"]),
    ("whatsapp_twice", subs((TIM, TIM[:-1] + ', whatsapp: "0812 3333 4444"}'), (TIM2, TIM2[:-1] + ', whatsapp: "+62 812-3333-4444"}')), ["people[4].whatsapp: '6281233334444' also at people[3]"]),
    ("telegram_beyond_bigint", sub(TIM, TIM[:-1] + ", telegram_id: 9223372036854775808}"), ["people[3].telegram_id: must be a positive whole number up to 9223372036854775807"]),
    ("telegram_negative", sub(TIM, TIM[:-1] + ", telegram_id: -5}"), ["people[3].telegram_id: must be a positive whole number"]),
    ("telegram_fraction", sub(TIM, TIM[:-1] + ", telegram_id: 12.5}"), ["people[3].telegram_id: must be a whole number"]),
    ("telegram_bool", sub(TIM, TIM[:-1] + ", telegram_id: true}"), ["people[3].telegram_id: must be a whole number"]),
    ("whatsapp_letters", sub(TIM, TIM[:-1] + ', whatsapp: "0812-ABC-4567"}'), ["people[3].whatsapp: not a phone number: '0812-ABC-4567'"]),
    ("whatsapp_short", sub(TIM, TIM[:-1] + ', whatsapp: "0812"}'), ["people[3].whatsapp: not a phone number: '0812'"]),
    ("whatsapp_long", sub(TIM, TIM[:-1] + ', whatsapp: "+6281234567890123"}'), ["people[3].whatsapp: not a phone number"]),
    ("telegram_of_other_office", sub(TIM, TIM[:-1] + ", telegram_id: 5551}"), ["people[3].telegram_id: '5551' already belongs to Admin Martapura (198001012005011001) of Kecamatan Martapura"]),
    ("whatsapp_of_other_office", sub(TIM, TIM[:-1] + ', whatsapp: "+62 812 3456 7890"}'), ["people[3].whatsapp: '6281234567890' already belongs to Admin Martapura (198001012005011001) of Kecamatan Martapura"]),
    # duplicates
    ("section_twice", sub("code: trantib", "code: pem"), ["sections[1].code: 'pem' also at sections[0]"]),
    ("indicator_twice", sub("code: PEM-2,", "code: PEM-1,"), ["sections[0].indicators[1].code: 'PEM-1' also at sections[0].indicators[0]"]),
    # acting officials
    ("acting_unknown_nip", sub(ACTING, 'acting: [{nip: "199999999999999999", role: camat, start: 2026-12-01, end: 2026-12-05}]'), ["acting[0].nip: no person with NIP '199999999999999999'"]),
    ("acting_end_before_start", sub(ACTING, 'acting: [{nip: "197502022000032002", role: camat, start: 2026-12-05, end: 2026-12-01}]'), ["acting[0].end: before start"]),
    ("acting_no_section", sub(ACTING, 'acting: [{nip: "198504042010012004", role: kepala_seksi, start: 2026-12-01, end: 2026-12-05}]'), ["acting[0].section: no section 'None'"]),
    ("acting_inactive", subs((TIM, TIM[:-1] + ", active: false}"), (ACTING, 'acting: [{nip: "198504042010012004", role: camat, start: 2026-12-01, end: 2026-12-05}]')), ["acting[0].nip: Nurul Hidayah, S.Kom (contoh) (198504042010012004) is not active"]),
    # office settings
    ("config_date", sub("days_off: []", "days_off: []\n  config: {since: 2026-01-01}"), ["office.config: only text, numbers, true/false, lists and mappings"]),
    ("config_reminders", sub("days_off: []", "days_off: []\n  config: {reminders: {before_days: banyak}}"), ["office.config: reminders.before_days: must be a whole number from 0 to 365"]),
    ("day_off_bad", sub("days_off: []", "days_off: [2026-13-01]"), ["not valid YAML at line 12, column 14: '2026-13-01' is not a date (month must be in 1..12)"]),
    # the file's shape
    ("unknown_field", sub(TIM, TIM[:-1] + ", telegram: 5}"), ["people[3].telegram: Extra inputs are not permitted"]),
    ("unknown_top_level", sub(ACTING, "acting: []\npeoples: []"), ["unknown top-level key peoples: (expected office:, people:, sections: and optionally acting:)"]),
    ("person_not_mapping", sub("people:\n", "people:\n  - Pak Camat\n"), ["people[0]: expected a mapping (key: value)"]),
    ("key_twice", sub("  regency: Kabupaten Banjar", "  regency: Kabupaten Banjar\n  name: Kecamatan Lain"), ["not valid YAML at line 7, column 3: the key 'name' appears twice"]),
    ("yaml_malformed", sub("letterhead:\n", "letterhead: [\n"), ["not valid YAML at line"]),
    ("yaml_tab", sub("  code: astambul", "\tcode: astambul"), ["not valid YAML at line 4, column 1: while scanning for the next token found character '\\t' that cannot start any token"]),
    ("empty_file", const(""), ["the file is empty"]),
    ("top_level_list", const("- office\n- people\n"), ["the file is a list, not keys with values (expected office:, people:, sections: and optionally acting:)"]),
    ("top_level_value", const("Kecamatan Astambul\n"), ["the file is one value ('Kecamatan Astambul'), not keys with values (expected office:, people:"]),
    ("alias_bomb", const(BOMB), ["refused: the file's YAML aliases (*name) make it more than 100,000 values"]),
    ("alias_bomb_in_config", sub("  days_off: []\n", "  days_off: []\n  config:\n" + BOMB.replace("\n", "\n    ").replace("a:", "    a:", 1)), ["refused: the file's YAML aliases (*name) make it more than 100,000 values"]),
    ("alias_in_itself", const("a: &a [*a]\n"), ["not valid YAML at line 1"]),
    ("not_utf8", lambda text: text.replace("Camat BERUBAH", "Camat Béru").encode("latin-1", errors="replace"), ["not UTF-8 text (byte"]),
    # several errors: all listed at once
    (
        "three_errors",
        subs(('"197001011990011001"', '"1970"'), (PEM2, '"2026": -5,'), ('head: "198109092008012009"', 'head: "1234"')),
        [
            "people[0].nip: must be 18 digits",
            "sections[0].indicators[1].targets: target for 2026: '-5' must be more than zero",
            "sections[2].head: no person with NIP '1234'",
        ],
    ),
]  # fmt: skip

CLI_CASES = {"head_not_kepala_seksi", "not_utf8", "yaml_malformed", "telegram_of_other_office", "three_errors", "top_level_list", "alias_bomb", "alias_bomb_in_config"}  # fmt: skip


def snapshot(db: Database) -> dict[str, Any]:
    """Every table's row count, and the fields of the people, offices, sections and targets."""
    with db.transaction() as s:
        counts = {
            t.name: s.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        rows = {
            m.__tablename__: sorted(
                (tuple(r) for r in s.execute(select(*m.__table__.columns))), key=repr
            )
            for m in (Office, Person, Section, IndicatorTarget)
        }
    return {"counts": counts, "rows": rows}


@pytest.fixture
def other_office(db: Database, clock, tmp_path: Path) -> None:
    path = tmp_path / "martapura.yaml"
    path.write_text(OTHER)
    with db.transaction() as s:
        import_file(s, path, clock.now())


def bad_file(tmp_path: Path, change: Change) -> Path:
    # a valid change earlier in the file must not be written either (validated whole)
    content = change(EXAMPLE.read_text().replace("Camat Astambul", "Camat BERUBAH"))
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_errors(errors: list[str], expected: list[str]) -> None:
    assert len(errors) == len(expected), errors
    for got, want in zip(errors, expected, strict=True):
        assert want in got and "\n" not in got, (got, want)


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_office_file_is_refused_whole_and_changes_nothing(
    db, office, other_office, clock, tmp_path, change, expected
):
    path = bad_file(tmp_path, change)
    before = snapshot(db)
    with pytest.raises(OfficeFileError) as err, db.transaction() as s:
        import_file(s, path, clock.now())
    assert_errors(err.value.errors, expected)
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [c[1:] for c in CASES if c[0] in CLI_CASES],
    ids=[c[0] for c in CASES if c[0] in CLI_CASES],
)
def test_cli_lists_each_error_on_one_line_exit_1(
    db, office, other_office, settings, tmp_path, change, expected
):
    path = bad_file(tmp_path, change)
    before = snapshot(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(DATABASE_URL=settings.db_url, DATA_DIR=str(tmp_path / "data"))
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "office", "import", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    if len(expected) == 1:
        assert len(lines) == 1 and lines[0].startswith(f"Impor {path} gagal, tidak ada yang diubah")
        assert expected[0] in lines[0]
    else:
        assert lines[0] == f"Impor {path} gagal, tidak ada yang diubah; {len(expected)} kesalahan:"
        assert_errors([line.strip() for line in lines[1:]], expected)
    assert snapshot(db) == before


def test_zero_target_is_accepted_where_the_indicator_says_so(db, office, clock, tmp_path):
    path = bad_file(tmp_path, sub("polarity: lower,", "polarity: lower, zero_target: true,"))
    path.write_text(path.read_text().replace('"2026": 12,', '"2026": 0,'))
    with db.transaction() as s:
        res = import_file(s, path, clock.now())
    assert res.updated == {"people": 1, "indicators": 1}
    with db.transaction() as s:
        ind = s.scalar(select(Indicator).where(Indicator.code == "TRA-1"))
        target = {t.period: t.target for t in ind.targets}["2026"]
    assert target == "0"


def test_database_refusal_at_commit_is_one_line(
    db, office, other_office, settings, tmp_path, monkeypatch, capsys
):
    """Should a check miss a conflict, the database's refusal is still one line, exit 1."""
    monkeypatch.setattr("bot.office.schema._check_database", lambda *a, **k: None)
    for key, value in {"DATABASE_URL": settings.db_url, "DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    path = bad_file(tmp_path, sub(TIM, TIM[:-1] + ", telegram_id: 5551}"))
    before = snapshot(db)
    with pytest.raises(SystemExit) as exc:
        main(["office", "import", str(path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "basis data menolak data ini" in err[0], err
    assert snapshot(db) == before
