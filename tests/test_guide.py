"""The role guide (docs/panduan-peran.md) says what the bot does: its figures are the bot's
own constants, so a change to one without the other fails here."""

from __future__ import annotations

import re
from pathlib import Path

from bot.procedure.reminders import DEFAULTS, MEETING_REMINDER
from bot.procedure.sop import CORRECTION_DAYS, STEPS
from bot.settings import Settings
from bot.texts import t

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "panduan-peran.md").read_text()


def _section(title: str) -> str:
    start = GUIDE.index(f"## {title}")
    end = GUIDE.find("\n## ", start + 1)
    return " ".join(GUIDE[start : end if end > 0 else None].split())


def test_the_guide_gives_each_step_the_sops_standard_in_sop_order():
    rows = re.findall(r"^\| (\d) \| [^|]+ \| [^|]+ \| ([^|]+) \|$", GUIDE, re.M)
    assert [int(n) for n, _ in rows] == list(STEPS)
    for n, standard in rows:
        assert standard.strip() == STEPS[int(n)].standard_text


def test_the_guide_names_the_escalation_days_the_reminders_use():
    kasubag = _section("Kasubag Program")
    sek = _section("Sekretaris")
    assert f"terlambat {DEFAULTS['escalate_kasubag']} hari kerja" in kasubag
    assert f"terlambat {DEFAULTS['escalate_sekretaris']} hari kerja" in sek


def test_the_guide_and_the_plan_message_give_the_same_default_deadline():
    days = Settings.model_fields["default_section_days"].default
    said = f"hari kerja ke-{days} setelah tim dibentuk"
    assert said in " ".join(GUIDE.split())
    plan = t("plan_ask", period="Triwulan III 2026", days=days, proposed="-", table="-")
    assert said in " ".join(plan.split())


def test_the_guide_gives_the_meeting_reminder_and_the_correction_deadline():
    text = " ".join(GUIDE.split())
    minutes = int(MEETING_REMINDER.total_seconds() // 60)
    assert f"{minutes} menit sebelum" in text
    assert f"batas perbaikan {CORRECTION_DAYS} hari kerja" in text
    assert "seksi yang diminta (tombol" in _section("Camat")  # sections, not indicators
