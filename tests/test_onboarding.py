"""Foundation, through the local Bot API: invitations, strangers, the group, help by role."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.features.people import create_invitation
from bot.texts import t
from db.models import Acting, Office, Person
from tests.harness import GROUP_ID, Harness

CAMAT = "197001011990011001"
SEKRETARIS = "197502022000032002"
KASI_PEM = "197807072003121007"
TIM = "198504042010012004"


def invite(h: Harness, nip: str) -> str:
    with h.db.transaction() as s:
        person = s.scalar(select(Person).where(Person.nip == nip))
        assert person is not None
        return create_invitation(s, person, h.clock.now(), days=7).token


async def test_invited_person_binds_account_and_is_greeted_by_name_and_role(harness: Harness):
    h = harness
    token = invite(h, SEKRETARIS)
    sek = h.user(SEKRETARIS, link=False)
    replies = await h.say(sek, f"/start {token}")
    assert len(replies) == 1
    assert "Selamat datang, Hj. Siti Rahmah" in replies[0]
    assert "Sekretaris Kecamatan" in replies[0]
    assert h.person(SEKRETARIS).telegram_user_id == sek.id
    # the link works once: another account using it is refused
    other = h.stranger(4242, "Penyusup")
    assert await h.say(other, f"/start {token}") == [t("invite_used")]
    assert h.person(SEKRETARIS).telegram_user_id == sek.id


async def test_wrong_and_expired_invitations_get_clear_answers(harness: Harness):
    h = harness
    someone = h.user(CAMAT, link=False)
    assert await h.say(someone, "/start bukan-token") == [t("invite_bad")]
    token = invite(h, CAMAT)
    h.clock.advance(days=8)
    replies = await h.say(someone, f"/start {token}")
    assert "sudah kedaluwarsa" in replies[0]
    assert h.person(CAMAT).telegram_user_id is None


async def test_stranger_is_refused_politely_and_can_do_nothing(harness: Harness):
    h = harness
    stranger = h.stranger()
    for text in ("halo", "/minta", "/isi", "/status"):
        replies = await h.say(stranger, text)
        assert replies == [t("stranger", office="Kecamatan Astambul")]
    h.fake.send_text(stranger.id, "/minta")
    # a forged button from a stranger is refused too
    notice = await h.press_data(stranger, stranger.chat, 1, "forged-token")
    assert notice == t("stranger", office="Kecamatan Astambul")


async def test_admin_registers_the_group_and_others_are_refused(harness: Harness):
    h = harness
    kasi = h.user(KASI_PEM)
    h.group([kasi])
    replies = await h.say(kasi, "/daftargrup", chat=GROUP_ID)
    assert replies == [t("not_allowed", roles="Admin")]
    with h.db.transaction() as s:
        assert s.scalar(select(Office.group_chat_id)) is None
    replies = await h.say(h.admin, "/daftargrup", chat=GROUP_ID)
    assert "terdaftar sebagai grup Tim SAKIP Kecamatan Astambul" in replies[0]
    with h.db.transaction() as s:
        assert s.scalar(select(Office.group_chat_id)) == GROUP_ID


async def test_help_lists_exactly_the_commands_a_role_allows(harness: Harness):
    h = harness
    camat, kasi = h.user(CAMAT), h.user(KASI_PEM)
    camat_help = (await h.say(camat, "/bantuan"))[0]
    kasi_help = (await h.say(kasi, "/bantuan"))[0]
    assert "/minta" in camat_help and "/isi" not in camat_help
    assert "/isi" in kasi_help and "/minta" not in kasi_help
    assert "/daftargrup" not in camat_help
    assert "Camat" in camat_help.splitlines()[0]


async def test_whoami_shows_roles_sections_and_acting_appointment(harness: Harness):
    h = harness
    tim = h.user(TIM)
    with h.db.transaction() as s:
        p = s.scalar(select(Person).where(Person.nip == TIM))
        assert p is not None
        today = h.clock.now().date()
        s.add(
            Acting(
                office_id=p.office_id,
                role="sekretaris",
                person_id=p.id,
                kind="Plh",
                start_date=today,
                end_date=today + timedelta(days=5),
            )
        )
    reply = (await h.say(tim, "/saya"))[0]
    assert "Nurul Hidayah" in reply and "198504042010012004" in reply
    assert "Plh. Sekretaris Kecamatan" in reply
    assert "Sekretaris Kecamatan" in reply.split("Peran:")[1]


async def test_command_out_of_place_and_unknown_command_get_answers(harness: Harness):
    h = harness
    kasi = h.user(KASI_PEM)
    assert await h.say(kasi, "/daftargrup") == [t("group_only")]
    assert await h.say(kasi, "/entahapa") == [t("unknown_command", command="entahapa")]
    assert "belum menunggu jawaban" in (await h.say(kasi, "halo bot"))[0]
