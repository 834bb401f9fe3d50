"""`sakip-bot office import`: the example file, idempotence, and bad files that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.office.load import OfficeFileError, import_file, parse
from db.engine import Database
from db.models import Indicator, Person, PersonRole, Section
from tests.conftest import EXAMPLE


def counts(db: Database) -> tuple[int, int, int, int]:
    with db.transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(m))
            for m in (Person, PersonRole, Section, Indicator)
        )


def test_example_office_has_the_people_sections_and_indicators_the_sop_needs(db, office):
    with db.transaction() as s:
        roles = {r for (r,) in s.execute(select(PersonRole.role))}
        assert {
            "camat",
            "sekretaris",
            "kasubag_program",
            "tim_sakip",
            "kepala_seksi",
            "admin",
        } <= roles
        tim = s.scalar(
            select(func.count()).select_from(PersonRole).where(PersonRole.role == "tim_sakip")
        )
        assert tim >= 3
        sections = s.scalars(select(Section)).all()
        assert len(sections) >= 5
        for sec in sections:
            n = s.scalar(
                select(func.count()).select_from(Indicator).where(Indicator.section_id == sec.id)
            )
            assert 2 <= n <= 4, sec.name
            assert sec.head is not None
        assert (
            s.scalar(
                select(func.count()).select_from(Indicator).where(Indicator.polarity == "lower")
            )
            >= 1
        )


def test_importing_the_same_file_twice_changes_nothing(db, office, clock):
    before = counts(db)
    with db.transaction() as s:
        res = import_file(s, EXAMPLE, clock.now())
    assert not res.changed, (res.created, res.updated)
    assert counts(db) == before


def test_changed_target_is_updated(db, office, clock, tmp_path):
    text = EXAMPLE.read_text().replace('"2026-Q3": 6, "2026-Q4": 6', '"2026-Q3": 8, "2026-Q4": 6')
    path = tmp_path / "office.yaml"
    path.write_text(text)
    with db.transaction() as s:
        res = import_file(s, path, clock.now())
    assert res.updated == {"indicators": 1}
    with db.transaction() as s:
        ind = s.scalar(select(Indicator).where(Indicator.code == "PEM-2"))
        assert {t.period: t.target for t in ind.targets}["2026-Q3"] == "8"


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("roles: [camat]", "roles: [camatt]", "people[0].roles: unknown role 'camatt'"),
        (
            'head: "198109092008012009"',
            'head: "1234"',
            "sections[2].head: no person with NIP '1234'",
        ),
        ("polarity: lower,", "polarity: turun,", "sections[1].indicators[0].polarity"),
        ('"2026": 24,', '"2026": dua puluh,', "sections[0].indicators[1].targets"),
        ("timezone: Asia/Makassar", "timezone: Mars/Olympus", "office.timezone: unknown time zone"),
    ],
)
def test_bad_file_names_entry_and_field_and_changes_nothing(
    db, office, clock, tmp_path, replace, by, message
):
    text = EXAMPLE.read_text()
    assert replace in text
    path = tmp_path / "bad.yaml"
    # a valid change earlier in the file must not be written either (one transaction)
    path.write_text(text.replace("Camat Astambul", "Camat BERUBAH").replace(replace, by, 1))
    before = counts(db)
    with pytest.raises(OfficeFileError) as err, db.transaction() as s:
        import_file(s, path, clock.now())
    assert message in str(err.value)
    assert counts(db) == before
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Person).where(Person.position == "Camat BERUBAH")
            )
            == 0
        )


def test_cli_import_reports_error_in_one_line(settings, tmp_path, monkeypatch, capsys):
    for key, value in {
        "DATABASE_URL": settings.db_url,
        "DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("roles: [camat]", "roles: [camatt]"))
    with pytest.raises(SystemExit) as exc:
        main(["office", "import", str(bad)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "people[0].roles: unknown role 'camatt'" in err[0]
    main(["office", "import", str(EXAMPLE)])
    assert "selesai" in capsys.readouterr().out
    main(["office", "import", str(EXAMPLE)])
    assert "tidak ada perubahan" in capsys.readouterr().out


def test_yaml_syntax_error_is_reported():
    with pytest.raises(OfficeFileError, match="not valid YAML"):
        parse("office: [unclosed")


def test_example_file_is_shipped_in_the_package():
    assert Path(EXAMPLE).resolve().name == "astambul.yaml"
    assert Path(EXAMPLE).read_text().startswith("# DATA CONTOH")
