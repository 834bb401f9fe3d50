"""The weekly digest: on the first working morning of the week each kabupaten monitor
(pemantau) who has not opted out (`/rekap berhenti`) receives the recap of its offices, with
the chart. `send_weekly_digests(core, now)` is what the scheduler calls; it is idempotent per
person and week (the outbox's dedupe key), so calling it every few minutes of the working
day is safe, and a week whose first working morning the bot missed is sent when it is back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.messaging import outbox
from bot.office.monitoring import visible_offices
from bot.procedure.roles import Role
from bot.reports.rekap_data import default_period, label, produce
from bot.texts import t
from db.models import DigestOptOut, Outbox, Person, PersonRole

log = logging.getLogger(__name__)


def week_key(person_id: int, when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"digest:{person_id}:{year}-W{week:02d}"


def send_weekly_digests(core, now: datetime) -> int:  # type: ignore[no-untyped-def]
    """Queue this week's digest for every monitor due one; returns how many were queued."""
    with core.db.transaction() as s:
        ids = list(
            s.scalars(
                select(Person.id)
                .join(PersonRole)
                .where(Person.active.is_(True), PersonRole.role == Role.PEMANTAU)
                .where(~Person.id.in_(select(DigestOptOut.person_id)))
                .order_by(Person.id)
            )
        )
    sent = 0
    for person_id in ids:
        try:
            sent += _send_one(core, person_id, now)
        except Exception:
            log.exception("weekly digest failed for person %s", person_id)
    return sent


def _send_one(core, person_id: int, now: datetime) -> int:  # type: ignore[no-untyped-def]
    with core.db.transaction() as s:
        person = s.get(Person, person_id)
        assert person is not None
        cal = core.calendar_for(person.office)
        local = cal.local(now)
        today = local.date()
        monday = today - timedelta(days=today.weekday())
        first = cal.add_working_days(monday, 0)  # the week's first working day
        if first.isocalendar()[1] != today.isocalendar()[1] or today < first:
            return 0
        if not cal.is_working_day(today) or not cal.work_start <= local.time() < cal.work_end:
            return 0
        key = week_key(person.id, local)
        if s.scalar(select(Outbox.id).where(Outbox.dedupe_key == key)) is not None:
            return 0
        offices = visible_offices(s, person, today)
        if not offices:
            return 0
        period = default_period(s, [o.id for o in offices], today)
        out = produce(
            s,
            core.files,
            core.settings.data_dir,
            person.office_id,
            offices,
            period,
            core.calendar_for,
            now,
            t("digest_header", period=label(period), n=len(offices)),
        )
        outbox.to_person(
            s, person, out.caption, now, kind="photo", file_id=out.chart_id, dedupe_key=key
        )
        outbox.to_person(
            s, person, t("rekap_xlsx_caption"), now, kind="document", file_id=out.xlsx_id
        )
        for i, text in enumerate(out.texts):
            last = i == len(out.texts) - 1
            outbox.to_person(s, person, text + ("\n\n" + t("digest_footer") if last else ""), now)
        return 1
