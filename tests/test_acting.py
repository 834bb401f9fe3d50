"""Acting officials (Plt/Plh): while the appointment runs the acting person gets the
position's tasks and buttons, signs as "Plh. ...", and the absent holder gets nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.procedure.sop import RoundState
from db.models import Acting, CollectionRound, Person
from tests import flows
from tests.harness import Harness


def appoint(h: Harness, nip: str, role: str, days: int = 5) -> None:
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == nip))
        today = h.clock.now().date()
        s.add(
            Acting(
                office_id=p.office_id,
                role=role,
                person_id=p.id,
                kind="Plh",
                start_date=today,
                end_date=today + timedelta(days=days),
            )
        )


async def test_plh_sekretaris_receives_the_team_form_and_acts(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    appoint(h, flows.NIP["tim1"], "sekretaris")
    plh = o.tim[0]
    await flows.request_round(h, o)
    assert "Plh. Sekretaris Kecamatan" in h.last(plh)
    assert not any("Langkah 2" in m for m in h.texts(o.sek))  # the holder is away
    await h.press(plh, "💾 Simpan tim")
    with h.db.transaction() as s:
        assert s.scalar(select(CollectionRound.state)) == RoundState.TEAM_FORMED
    help_text = (await h.say(plh, "/bantuan"))[0]
    assert "Sekretaris Kecamatan" in help_text.splitlines()[0]


async def test_acting_ends_with_its_dates(harness: Harness):
    h = harness
    o = await flows.setup_office(h)
    appoint(h, flows.NIP["tim1"], "sekretaris", days=1)
    h.clock.advance(days=3)
    await flows.request_round(h, o)
    assert "Langkah 2" in h.last(o.sek)
    assert not any("Langkah 2" in m for m in h.texts(o.tim[0]))
