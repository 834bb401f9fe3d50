"""SQLAlchemy 2 models: the one source of truth (docs/design-notes.md, decision 1).

Everything that belongs to an office carries `office_id`; queries always filter by it, so
one deployment can serve every kecamatan of a kabupaten without mixing their data.

Glossary: *seksi* = a section of the office; *indikator* = a performance indicator with a
*target*; *realisasi* = the value a section reports; *capaian* = achievement in percent;
*putaran* (round) = one run of the SOP for a period; *paraf* = the Sekretaris' initials,
here the recorded approval with the report's content hash; *notulen* = meeting minutes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Office(Base):
    __tablename__ = "office"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    regency: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Makassar")
    letterhead: Mapped[list[Any]] = mapped_column(default=list)
    days_off: Mapped[list[Any]] = mapped_column(default=list)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    group_title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("office_id", "nip", name="uq_person_office_nip"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(32))
    position: Mapped[str] = mapped_column(String(200), default="")
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    whatsapp_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    whatsapp_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # a parent business-scoped user id (one person across a business's portfolios), where
    # Meta shares it; the WhatsApp username is for display only, never an address
    whatsapp_parent_user_id: Mapped[str | None] = mapped_column(String(96), index=True)
    whatsapp_username: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    # last message received on WhatsApp: free-form replies are allowed for 24 h after it
    whatsapp_last_inbound: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    office: Mapped[Office] = relationship(lazy="joined")
    # the open form, if any; loaded with the person when an update arrives (Core.find_person)
    conversation: Mapped[Conversation | None] = relationship(lazy="select", viewonly=True)


class PersonRole(Base):
    __tablename__ = "person_role"
    __table_args__ = (UniqueConstraint("person_id", "role", name="uq_person_role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    person: Mapped[Person] = relationship(back_populates="roles")


class Section(Base):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("office_id", "code", name="uq_section_office_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    head_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    head: Mapped[Person | None] = relationship(lazy="joined")


class Indicator(Base):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("office_id", "code", name="uq_indicator_office_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    sasaran: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(64), default="")
    polarity: Mapped[str] = mapped_column(String(8), default="higher")
    lower_method: Mapped[str] = mapped_column(String(16), default="permenpan")
    aggregation: Mapped[str] = mapped_column(String(16), default="cumulative")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    section: Mapped[Section] = relationship(lazy="joined")
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", lazy="selectin"
    )


class IndicatorTarget(Base):
    """A target for a period key: a year ("2026") or a quarter ("2026-Q3")."""

    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "period", name="uq_target_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Acting(Base):
    """A Plt/Plh appointment: `person` acts for a position (role, and section for a head)."""

    __tablename__ = "acting"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(8), default="Plh")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    person: Mapped[Person] = relationship(lazy="joined")


class Invitation(Base):
    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    person: Mapped[Person] = relationship(lazy="joined")


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("collection_round.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class CollectionRound(Base):
    """One run of the SOP for a period. `open_key` is 1 while open and NULL after, so a
    unique constraint allows one open round per office and period on SQLite and PostgreSQL."""

    __tablename__ = "collection_round"
    __table_args__ = (
        UniqueConstraint("office_id", "period", "open_key", name="uq_round_open_period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    period_label: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    open_key: Mapped[int | None] = mapped_column(Integer, default=1)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    proposed_deadline: Mapped[datetime | None]
    indicator_ids: Mapped[list[Any]] = mapped_column(default=list)
    team_ids: Mapped[list[Any]] = mapped_column(default=list)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class RoundStep(Base):
    """One SOP step's run within a round (steps 5 and 6 repeat per report version)."""

    __tablename__ = "round_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_round.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    iteration: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    on_time: Mapped[bool | None] = mapped_column(Boolean)


class Submission(Base):
    """A section's reply in a round."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("round_id", "section_id", name="uq_submission_section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_round.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    first_submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    returns: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    # set when the internal meeting reopens the section: its corrections are timed by it
    fix_deadline: Mapped[datetime | None]
    section: Mapped[Section] = relationship(lazy="joined")


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("submission_id", "indicator_id", name="uq_answer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    realisation: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    explanation: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]


class StoredFile(Base):
    """A received or produced file, stored once under DATA_DIR by its SHA-256."""

    __tablename__ = "stored_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]


class Attachment(Base):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    created_at: Mapped[datetime]
    # what the sender wrote with the file (a photo's caption), shown wherever it is listed
    description: Mapped[str | None] = mapped_column(Text)
    file: Mapped[StoredFile] = relationship(lazy="joined")


class ReportVersion(Base):
    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("round_id", "version", name="uq_report_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_round.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    content_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    missing: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]


class Decision(Base):
    """The Sekretaris' decision on a report version: approve (paraf) or revise."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report_version.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    acting_label: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    items: Mapped[list[Any]] = mapped_column(default=list)


class Meeting(Base):
    """The internal meeting of SOP step 6, held in every round (the second and later ones
    are "Revisi ke-n"): when, whom it invited, its outcome and its minutes (notulen)."""

    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_round.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    meeting_at: Mapped[datetime]
    set_by_id: Mapped[int | None] = mapped_column(Integer)
    set_at: Mapped[datetime | None]
    invited: Mapped[list[Any] | None] = mapped_column(default=list)  # person ids
    outcome: Mapped[str | None] = mapped_column(String(16))  # "none" or "corrections"
    outcome_at: Mapped[datetime | None]
    outcome_by_id: Mapped[int | None] = mapped_column(Integer)
    notulen: Mapped[str | None] = mapped_column(Text)
    notulen_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime | None]


class ActionToken(Base):
    """What a button means: buttons carry only `token` (docs/design-notes.md, decision 6)."""

    __tablename__ = "action_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    group: Mapped[str | None] = mapped_column(String(32))
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Conversation(Base):
    """What a person's next free text or file means (the persisted form engine state)."""

    __tablename__ = "conversation"
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class Outbox(Base):
    """Every message the bot sends (docs/design-notes.md, decision 3)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "channel", "chat_id"),  # a chat's messages (WhatsApp replies)
        Index("ix_outbox_remote", "channel", "remote_id"),  # delivery statuses by message id
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    edit_of_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    template: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(String(128))
    remote_status: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    # sent again after a crash left it in doubt (it may show twice); recorded, not hidden
    resent: Mapped[int] = mapped_column(Integer, default=0)


class Reminder(Base):
    """A reminder or escalation; `key` is also the APScheduler job id."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("collection_round.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class InboxUpdate(Base):
    """Every incoming update, recorded before it is acknowledged (docs/design-notes.md, decision 3).

    `(channel, external_id)` is the sender's id (Telegram update_id, WhatsApp message id), so
    a re-delivered update is recorded once. `actor` orders one person's updates: they are
    handled one at a time, oldest first. A row leaves `pending` in the same transaction as
    its effect (`done`), or as `skipped` when it cannot be understood at all. `lease_until`
    lets several worker processes share the inbox: a claimed row is retried by another
    worker when the lease runs out.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbox_external"),
        Index("ix_inbox_pending", "status", "actor", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(96))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


# --- The kabupaten's view (issue 16) ---------------------------------------------------------
# A kabupaten's monitors (role `pemantau`, Bagian Organisasi / Inspektorat) are people of an
# office row of kind "kabupaten" (`Office.config["kind"]`); which kecamatan each one follows is
# `MonitorScope`. Sign-in to the web dashboard is a one-time link, then a session.


class MonitorScope(Base):
    """An office a kabupaten monitor (pemantau) follows; the monitor sees these and no other."""

    __tablename__ = "monitor_scope"
    __table_args__ = (UniqueConstraint("person_id", "office_id", name="uq_monitor_scope"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    created_at: Mapped[datetime]


class DigestOptOut(Base):
    """A monitor who said `/rekap berhenti`: no weekly digest until `/rekap mulai`."""

    __tablename__ = "digest_optout"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime]


class DashboardLink(Base):
    """A one-time sign-in link from `/dasbor`: valid for minutes, used once."""

    __tablename__ = "dashboard_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser: the cookie holds a secret whose SHA-256 is kept here."""

    __tablename__ = "dashboard_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
