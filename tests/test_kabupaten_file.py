"""`sakip-bot kabupaten import`: the kabupaten's monitors (pemantau) and the offices each one
follows; a bad file names the entry and changes nothing; a second import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.office.kabupaten import import_file
from bot.office.load import OfficeFileError
from bot.office.load import import_file as import_office
from bot.office.monitoring import is_kabupaten, visible_offices
from db.models import MonitorScope, Office, Person
from tests.conftest import EXAMPLE

ROOT = Path(__file__).resolve().parents[1]
SECOND = ROOT / "examples" / "martapura.yaml"
KABUPATEN = ROOT / "examples" / "banjar-kabupaten.yaml"
ALL_NIP = "197404042000031001"  # follows every kecamatan
ASTAMBUL_NIP = "198205052006042002"  # follows Astambul only


@pytest.fixture
def two_offices(db, clock, office) -> None:
    with db.transaction() as s:
        import_office(s, SECOND, clock.now())


def scope_of(db, nip: str, today) -> list[str]:
    with db.transaction() as s:
        person = s.scalar(select(Person).where(Person.nip == nip))
        return [o.code for o in visible_offices(s, person, today)]


def test_monitors_see_exactly_the_offices_of_their_scope(db, clock, two_offices):
    with db.transaction() as s:
        res = import_file(s, KABUPATEN, clock.now())
        assert res.created == {"office": 1, "people": 2}
        kab = s.scalar(select(Office).where(Office.code == "kab-banjar"))
        assert kab is not None and is_kabupaten(kab)
    today = clock.now().date()
    assert scope_of(db, ALL_NIP, today) == ["astambul", "martapura"]
    assert scope_of(db, ASTAMBUL_NIP, today) == ["astambul"]
    # an office's own people see their office, never the kabupaten row
    assert scope_of(db, "197001011990011001", today) == ["astambul"]
    assert scope_of(db, "197001011990011501", today) == ["martapura"]


def test_second_import_changes_nothing_and_an_office_taken_off_is_no_longer_seen(
    db, clock, two_offices, tmp_path
):
    with db.transaction() as s:
        import_file(s, KABUPATEN, clock.now())
    with db.transaction() as s:
        assert not import_file(s, KABUPATEN, clock.now()).changed
    narrowed = tmp_path / "kab.yaml"
    narrowed.write_text(KABUPATEN.read_text().replace("offices: semua", "offices: [martapura]"))
    with db.transaction() as s:
        assert import_file(s, narrowed, clock.now()).updated == {"people": 1}
    assert scope_of(db, ALL_NIP, clock.now().date()) == ["martapura"]


def test_unknown_office_names_the_entry_and_writes_nothing(db, clock, office, tmp_path):
    bad = tmp_path / "kab.yaml"
    bad.write_text(KABUPATEN.read_text().replace("[astambul]", "[astambul, martapuraa]"))
    with pytest.raises(OfficeFileError) as err, db.transaction() as s:
        import_file(s, bad, clock.now())
    assert "people[1].offices[1]: no kecamatan office 'martapuraa'" in str(err.value)
    with db.transaction() as s:
        assert s.scalar(select(Office).where(Office.code == "kab-banjar")) is None
        assert s.scalars(select(MonitorScope)).all() == []


def test_cli_imports_the_kabupaten_file(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    main(["office", "import", str(EXAMPLE)])
    main(["kabupaten", "import", str(KABUPATEN)])
    out = capsys.readouterr().out
    assert "people 2" in out
    main(["kabupaten", "import", str(KABUPATEN)])
    assert "tidak ada perubahan" in capsys.readouterr().out
