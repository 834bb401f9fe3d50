"""A Tim SAKIP group belongs to one office: another office's admin cannot take it over;
the owning office's admin releases it with /lepasgrup, and only then may it be bound again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.office.load import import_file
from bot.texts import t
from db.models import AuditLog, Office
from tests.harness import GROUP_ID, Harness

OFFICE_B = """
office: {code: martapura, name: Kecamatan Martapura}
people:
  - {nip: "198001012005011001", name: Admin Martapura, roles: [admin]}
  - {nip: "198001012005011002", name: Camat Martapura, roles: [camat]}
"""
ADMIN_A = "199212122020121012"


def groups(h: Harness) -> dict[str, tuple[int | None, str | None]]:
    with h.db.transaction() as s:
        return {o.code: (o.group_chat_id, o.group_title) for o in s.scalars(select(Office))}


def audit_count(h: Harness) -> int:
    with h.db.transaction() as s:
        return len(s.scalars(select(AuditLog)).all())


async def test_group_stays_with_its_office_until_that_office_releases_it(
    harness: Harness, clock, tmp_path: Path
):
    h = harness
    path = tmp_path / "martapura.yaml"
    path.write_text(OFFICE_B)
    with h.db.transaction() as s:
        import_file(s, path, clock.now())
    admin_a, admin_b = h.user(ADMIN_A), h.user("198001012005011001")
    camat_b = h.user("198001012005011002")
    h.group([admin_a, admin_b, camat_b])

    await h.say(admin_a, "/daftargrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t("group_registered", title="Tim SAKIP", office="Kecamatan Astambul")
    bound = groups(h)
    assert bound == {"astambul": (GROUP_ID, "Tim SAKIP"), "martapura": (None, None)}
    audits = audit_count(h)

    # office B's admin can neither take the group nor release it; nothing changes
    await h.say(admin_b, "/daftargrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t("group_bound_other", office="Kecamatan Astambul")
    await h.say(admin_b, "/lepasgrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t("group_release_other", office="Kecamatan Astambul")
    # a person of office B who is not an admin may not release it either
    await h.say(camat_b, "/lepasgrup", chat=GROUP_ID)
    assert "hanya untuk: Admin" in h.last(GROUP_ID)
    assert groups(h) == bound and audit_count(h) == audits

    # office A's admin releases it; then office B may bind it
    await h.say(admin_a, "/lepasgrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t("group_released", office="Kecamatan Astambul")
    assert groups(h) == {"astambul": (None, None), "martapura": (None, None)}
    await h.say(admin_a, "/lepasgrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t("group_not_bound")
    await h.say(admin_b, "/daftargrup", chat=GROUP_ID)
    assert h.last(GROUP_ID) == t(
        "group_registered", title="Tim SAKIP", office="Kecamatan Martapura"
    )
    assert groups(h) == {"astambul": (None, None), "martapura": (GROUP_ID, "Tim SAKIP")}
    with h.db.transaction() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-3:] == ["group_registered", "group_released", "group_registered"]


async def test_lepasgrup_is_sent_in_the_group(harness: Harness):
    h = harness
    admin_a = h.user(ADMIN_A)
    await h.say(admin_a, "/lepasgrup")
    assert h.last(admin_a) == t("group_only")
