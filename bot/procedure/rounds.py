"""The round's state machine and records: transitions, SOP step timing, targets, queries.
Pure database logic shared by the feature modules; no channel code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from bot.core import Ctx
from bot.errors import Stale
from bot.procedure.calendar import WorkCalendar
from bot.procedure.roles import Holder, Role, holders
from bot.procedure.sop import STATE_TEXT, STEPS, TRANSITIONS, RoundState, target_periods
from bot.texts import t
from db.models import (
    Answer,
    CollectionRound,
    Indicator,
    RoundStep,
    Section,
    Submission,
)
from db.reads import RoundRead, SubmissionRead

OPEN_STATES = (
    RoundState.REQUESTED,
    RoundState.TEAM_FORMED,
    RoundState.COLLECTING,
    RoundState.DRAFTED,
    RoundState.MEETING,
    RoundState.SUBMITTED,
    RoundState.REVISION,
)


def get_round(ctx: Ctx, round_id: int, shared: bool = False) -> CollectionRound:
    """The round, locked until commit so its state cannot change under the action. Actions
    that only read the state (a section head's answers) take a shared lock, so answers from
    many sections run side by side on PostgreSQL; state changes take an exclusive one."""
    rnd = ctx.s.get(CollectionRound, round_id, with_for_update={"read": shared})
    if rnd is None or rnd.office_id != ctx.who.office_id:
        raise Stale(t("button_unknown"))
    return rnd


def loaded_round(ctx: Ctx, rnd: CollectionRound | RoundRead) -> CollectionRound:
    """The round as an ORM object, for work that changes it or reads its lists (a plain
    read, `db.reads.RoundRead`, has neither)."""
    if isinstance(rnd, CollectionRound):
        return rnd
    return get_round(ctx, rnd.id, shared=True)


def expect(rnd: CollectionRound, *states: str) -> None:
    """Refuse an action that does not fit the round's current state (old or forged buttons)."""
    if rnd.state not in states:
        raise Stale(t("button_stale", state=t("round_state_now", state=STATE_TEXT[rnd.state])))


def move(rnd: CollectionRound, to: str) -> None:
    if to not in TRANSITIONS[rnd.state]:
        raise Stale(t("button_stale", state=t("round_state_now", state=STATE_TEXT[rnd.state])))
    rnd.state = to
    if to in (RoundState.APPROVED, RoundState.CANCELLED):
        rnd.open_key = None


_OPEN_ROUNDS = (  # built once: /isi, /status and most commands ask
    select(CollectionRound)
    .where(CollectionRound.office_id == bindparam("office"), CollectionRound.state.in_(OPEN_STATES))
    .order_by(CollectionRound.id.desc())
)


def open_rounds(s: Session, office_id: int) -> list[CollectionRound]:
    return list(s.scalars(_OPEN_ROUNDS, {"office": office_id}))


def current_round(ctx: Ctx) -> CollectionRound | None:
    rounds = open_rounds(ctx.s, ctx.who.office_id)
    return rounds[0] if rounds else None


def start_step(
    s: Session,
    rnd: CollectionRound | RoundRead,
    number: int,
    now: datetime,
    cal: WorkCalendar,
    iteration: int = 1,
    due: datetime | None = None,
) -> RoundStep:
    step = RoundStep(
        round_id=rnd.id,
        step=number,
        iteration=iteration,
        started_at=now,
        due_at=due or STEPS[number].due(now, cal),
    )
    s.add(step)
    s.flush()
    from bot.procedure.reminders import plan_step

    plan_step(s, rnd, step, cal, now)
    return step


def end_step(
    s: Session, rnd: CollectionRound | RoundRead, number: int, now: datetime, actor_id: int | None
) -> RoundStep | None:
    """Close the open run of a step; record the actor and whether it kept the standard."""
    step = s.scalar(
        select(RoundStep)
        .where(RoundStep.round_id == rnd.id, RoundStep.step == number, RoundStep.ended_at.is_(None))
        .order_by(RoundStep.id.desc())
    )
    if step is None:
        return None
    step.ended_at = now
    step.actor_id = actor_id
    step.on_time = now <= step.due_at
    from bot.procedure.reminders import cancel_step

    cancel_step(s, rnd, step, now)
    return step


def open_step(s: Session, rnd: CollectionRound | RoundRead, number: int) -> RoundStep | None:
    return s.scalar(
        select(RoundStep)
        .where(RoundStep.round_id == rnd.id, RoundStep.step == number, RoundStep.ended_at.is_(None))
        .order_by(RoundStep.id.desc())
    )


_INDICATOR_ORDER = (Indicator.section_id, Indicator.position, Indicator.id)
# One section's indicators with their targets (joined: one statement), built once (/isi
# runs it). The section is not joined in again: whoever asks has it loaded already (a lazy
# load finds it in the session), and the join would bring its head, the head's office and
# roles along.
_SECTION_INDICATORS = (
    select(Indicator)
    .options(lazyload(Indicator.section), joinedload(Indicator.targets))
    .where(Indicator.section_id == bindparam("section"))
    .order_by(*_INDICATOR_ORDER)
)


def round_indicators(
    s: Session, rnd: CollectionRound, section_id: int | None = None
) -> list[Indicator]:
    """The round's indicators, or one section's. For one section the section is selected
    (a short, indexed read) and the round's choice applied here: a round names hundreds of
    indicators in a kabupaten, and an IN list of them on every form answer costs as much as
    the rest of the answer."""
    if section_id is None:
        stmt = select(Indicator).where(Indicator.id.in_(rnd.indicator_ids or []))
        return list(s.scalars(stmt.order_by(*_INDICATOR_ORDER)))
    chosen = set(rnd.indicator_ids or ())
    rows = s.scalars(_SECTION_INDICATORS, {"section": section_id}).unique()
    return [i for i in rows if i.id in chosen]


@dataclass(frozen=True)
class PeriodTarget:
    period: str
    target: str


@dataclass(frozen=True)
class IndicatorView:
    """What a form reads of an indicator, as plain columns, with the target of the round's
    period already chosen (`targets` holds that one, under the round's period): the form's
    every answer reads these, and building ORM objects for the indicator and each of its
    targets cost more than the statement."""

    id: int
    code: str
    name: str
    unit: str
    polarity: str
    lower_method: str
    targets: tuple[PeriodTarget, ...]


def target_text(ind: Indicator | IndicatorView, period: str) -> str | None:
    """The indicator's target for the period, or its year's target (as written: "80-90")."""
    by_period = {tg.period: tg.target for tg in ind.targets}
    for key in target_periods(period):
        if key in by_period:
            return by_period[key]
    return None


def target_display(ind: Indicator | IndicatorView, period: str) -> str:
    """The target as people read it: "80–90", "1.250", or "-" when none is set."""
    from bot.procedure.capaian import Target

    text = target_text(ind, period)
    return str(Target.parse(text)) if text is not None else "-"


def round_sections(s: Session, rnd: CollectionRound) -> list[Section]:
    ids = {i.section_id for i in round_indicators(s, rnd)}
    return list(
        s.scalars(select(Section).where(Section.id.in_(ids)).order_by(Section.position, Section.id))
    )


def all_replied(s: Session, round_id: int, besides: int | None = None) -> bool:
    """Every section of the round has sent its first reply (one indexed EXISTS); `besides`:
    a submission that has just sent it, whatever the database says yet (its change is
    written at the commit)."""
    return not s.execute(_WAITING, {"round": round_id, "besides": besides or 0}).scalar()


_WAITING = select(
    select(Submission.id)
    .where(
        Submission.round_id == bindparam("round"),
        Submission.first_submitted_at.is_(None),
        Submission.id != bindparam("besides"),
    )
    .exists()
)


def submissions(s: Session, rnd: CollectionRound) -> list[Submission]:
    return list(
        s.scalars(
            select(Submission)
            .join(Section)
            .where(Submission.round_id == rnd.id)
            .order_by(Section.position, Section.id)
        )
    )


_ANSWERS = select(Answer).where(Answer.submission_id == bindparam("sub"))  # built once


def answers_by_indicator(s: Session, sub: Submission | SubmissionRead) -> dict[int, Answer]:
    return {a.indicator_id: a for a in s.scalars(_ANSWERS, {"sub": sub.id})}


def role_holders(ctx: Ctx, role: Role, section_id: int | None = None) -> list[Holder]:
    return holders(ctx.s, ctx.who.office_id, role, ctx.today, section_id)


class _Reply(Protocol):  # read-only: a loaded Submission or a plain SubmissionRead
    @property
    def deadline(self) -> datetime: ...
    @property
    def first_submitted_at(self) -> datetime | None: ...
    @property
    def fix_deadline(self) -> datetime | None: ...


def reply_timing(sub: _Reply, now: datetime, cal: WorkCalendar) -> tuple[int, str]:
    """A section's reply as it is sent (read before it is marked sent): working days late
    and the words for it, against the right clock. A first reply is timed by the section's
    deadline; a correction the internal meeting asked for by its own correction deadline
    ("batas perbaikan"); a reply the Kasubag returned has no deadline of its own, so its
    resending is not called late (the first reply's timing stands)."""
    if sub.first_submitted_at is None:
        late = cal.working_days_late(sub.deadline, now)
        return late, t("late_note", days=late) if late else t("on_time_note")
    if sub.fix_deadline is None:
        return 0, t("resubmitted_note")
    late = cal.working_days_late(sub.fix_deadline, now)
    return late, t("fix_late_note", days=late) if late else t("fix_on_time_note")
