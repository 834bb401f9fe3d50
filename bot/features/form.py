"""SOP step 4, the section head's side: the form for their section's indicators (/isi).

The form is data in the database (conversation + answers), so it survives restarts and is
shared by both channels: every answer is saved at once, and /isi resumes where it stopped.
Each prompt carries a sequence number; a button from an earlier prompt is refused.

Few taps: each reply confirms what was saved and asks the next question in one message.
An indicator is done with its value when the target is reached (an explanation can be
added with a button), or with its value and an explanation when it is not (both may come
in one message: "87,5 kendala cuaca"). Evidence files and photos can be sent at any point:
they go to the indicator whose code the caption starts with, else to the open question's
with a one-tap button to move them to another (on the summary, buttons ask which); the
caption is kept as the file's description. After a return or a revision
the named indicators open first, showing the saved value and explanation to keep or change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast, overload

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.sql.selectable import ScalarSelect

from bot.core import Ctx, InboundFile
from bot.errors import Stale, UserError
from bot.files import evidence_name
from bot.fmt import (
    NumberParseError,
    capaian_chat,
    capaian_icon,
    format_datetime_id,
    format_number_id,
    format_percent_id,
    format_quantity_id,
    parse_number_id,
)
from bot.procedure.capaian import LowerMethod, Polarity, Target, compute_capaian, looks_suspicious
from bot.procedure.roles import Role, headed_sections, heads
from bot.procedure.rounds import (
    OPEN_STATES,
    IndicatorView,
    PeriodTarget,
    answers_by_indicator,
    get_round,
    loaded_round,
    reply_timing,
    role_holders,
    round_indicators,
    target_display,
    target_text,
)
from bot.procedure.sop import RoundState, target_periods
from bot.router import FAMILY, Pressed, family_data, router
from bot.texts import t
from db.models import (
    Answer,
    Attachment,
    CollectionRound,
    Indicator,
    IndicatorTarget,
    Section,
    StoredFile,
    Submission,
)
from db.plain import insert_rows, stage_update
from db.reads import (
    AnswerRead,
    ConversationRead,
    RoundRead,
    SectionRead,
    SubmissionRead,
    columns,
    width,
)

# The form's stages (the open conversation's `stage`) and what moves between them, as
# python-telegram-bot's ConversationHandler shows its states in one dict: in each stage, the
# buttons its prompt offers and typed text ("text"), each with the stages it may lead to
# (none: the form is sent and ends). A button not offered in the current stage is refused
# as old (`_check_seq`); every move is checked against this table (`_bump`).
#
# A file is evidence in any stage and moves nothing. The reply to a file that names no
# indicator offers the stage's evidence buttons (`_receive_file`): [Pindahkan ke …] where a
# question is open (the file went to it), the question which indicator on the summary. Those
# have tokens of their own, not the prompt's: they stay good while the form is open, in
# whatever stage it is by then (a file filed under the wrong indicator may be moved later).
TEXT = "text"  # a typed answer
STAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "value": {  # the open indicator's value is asked
        TEXT: ("value", "confirm", "explain", "summary"),  # saved, or an odd one confirmed
        "form_keep": ("value", "explain", "summary"),  # [Tetap]: the saved value stays
        "form_add_explain": ("explain",),  # [Penjelasan …] of this or the last indicator
        "form_later": ("value", "summary"),  # [Isi nanti]: the next unfinished one
        "form_summary": ("summary",),  # [Ringkasan]
        "evidence_move": ("value",),  # [Pindahkan ke …] under a file: filed elsewhere
    },
    "confirm": {  # an unusual value waits to be confirmed
        "form_confirm": ("value", "explain", "summary"),  # [Ya, benar]: saved
        "form_reenter": ("value",),  # [Ubah]: asked again
        "evidence_move": ("confirm",),
    },
    "explain": {  # an explanation is asked (required below target)
        TEXT: ("value", "summary"),  # saved; the next unfinished indicator, or the summary
        "form_keep_explain": ("value", "summary"),  # [Tetap] / [Tanpa penjelasan]
        "evidence_move": ("explain",),
    },
    "summary": {  # every answer listed
        "form_edit": ("value",),  # [Ubah n]
        "form_submit": (),  # [Kirim]: to the Kasubag Program, the form ends
        "evidence_to": ("summary",),  # [PEM-2] under a file: filed under that indicator
    },
}

FILLABLE = ("not_started", "in_progress", "returned")
STATUS_TEXT = {
    "not_started": "belum mulai",
    "in_progress": "sedang diisi",
    "submitted": "sudah dikirim, menunggu pemeriksaan Kasubag",
    "returned": "dikembalikan untuk diperbaiki",
    "accepted": "sudah diterima",
}
KEEP = "-"  # typed instead of a new explanation: keep the saved one


def capaian_of(
    ind: Indicator | IndicatorView, value: Decimal | None, period: str
) -> Decimal | None:
    tt = target_text(ind, period)
    if tt is None or value is None:
        return None
    polarity, method = cast(Polarity, ind.polarity), cast(LowerMethod, ind.lower_method)
    return compute_capaian(value, Target.parse(tt), polarity, method)


def explanation_required(cap: Decimal | None) -> bool:
    """Below target (or no target to compare with): the head must say why."""
    return cap is None or cap < 100


_MINE = (  # built once: the submissions of the sections a head heads, in the office's open
    # rounds, newest first; the rounds locked shared, as an answer locks its round
    select(CollectionRound, Submission)
    .join(Submission, Submission.round_id == CollectionRound.id)
    .options(joinedload(Submission.section).lazyload(Section.head))
    .where(
        CollectionRound.office_id == bindparam("office"),
        CollectionRound.state.in_(OPEN_STATES),
        Submission.section_id.in_(bindparam("sections", expanding=True)),
    )
    .order_by(CollectionRound.id.desc(), Submission.id)
    .with_for_update(read=True, of=CollectionRound)
)


@router.command("isi", Role.KEPALA_SEKSI, light=True)
def cmd_fill(ctx: Ctx) -> None:
    """Open (or resume) the form of the section the person heads."""
    sections = {s.id: s for s in _headed(ctx)}
    params = {"office": ctx.who.office_id, "sections": list(sections)}
    subs = [(rnd, sub) for rnd, sub in ctx.s.execute(_MINE, params)]
    open_subs = [
        (r, s)
        for r, s in subs
        if s.status in FILLABLE and r.state in (RoundState.COLLECTING, RoundState.REVISION)
    ]
    if not open_subs:
        if subs:
            lines = [
                f"• {sections[s.section_id].name} ({r.period_label}): {STATUS_TEXT[s.status]}"
                for r, s in subs
            ]
            raise UserError(t("form_nothing_open", lines="\n".join(lines)))
        raise UserError(t("form_no_round"))
    if len(open_subs) == 1:
        open_form(ctx, open_subs[0][1], rnd=open_subs[0][0])
        return
    rows = [
        [
            ctx.button(
                f"{sections[s.section_id].name} — {r.period_label}",
                "form_open",
                person=ctx.who,
                reusable=True,
                submission=s.id,
            )
        ]
        for r, s in open_subs
    ]
    ctx.reply(t("form_choose"), buttons=rows)


@router.action("form_open")
def act_open(ctx: Ctx, tok: Pressed) -> None:
    sub = ctx.s.get(Submission, tok.payload.get("submission", 0))
    if sub is None:
        raise Stale(t("button_unknown"))
    open_form(ctx, sub)


def _headed(ctx: Ctx) -> list[Section]:
    headed: list[Section] = ctx.memo("headed", lambda: headed_sections(ctx.s, ctx.who, ctx.today))
    return headed


@overload
def _check_open(
    ctx: Ctx, sub: Submission | SubmissionRead, rnd: CollectionRound | None = None
) -> CollectionRound: ...
@overload
def _check_open(ctx: Ctx, sub: Submission | SubmissionRead, rnd: RoundRead) -> RoundRead: ...
def _check_open(
    ctx: Ctx, sub: Submission | SubmissionRead, rnd: CollectionRound | RoundRead | None = None
) -> CollectionRound | RoundRead:
    """The person must head the section today, and the form must be open for answers; the
    round (`rnd`, already read, or read here and locked shared: answers never change it)."""
    ctx.require(Role.KEPALA_SEKSI)
    if not heads(ctx.s, ctx.who, sub.section, ctx.today):
        raise UserError(t("form_not_your_section", section=sub.section.name))
    if rnd is None:
        rnd = get_round(ctx, sub.round_id, shared=True)
    elif rnd.office_id != ctx.who.office_id:
        raise Stale(t("button_unknown"))
    if rnd.state not in (RoundState.COLLECTING, RoundState.REVISION) or sub.status not in FILLABLE:
        raise Stale(t("form_closed", section=sub.section.name, status=STATUS_TEXT[sub.status]))
    return rnd


# --- the form's state, loaded once per update -------------------------------------------------


@dataclass
class Form:
    conv: ConversationRead
    sub: Submission | SubmissionRead
    rnd: CollectionRound | RoundRead
    indicators: Mapping[int, Indicator | IndicatorView]
    answers: dict[int, AnswerRead]
    via: str = TEXT  # what moves the form in this update: typed text, or a button's action

    @property
    def data(self) -> dict[str, Any]:
        return self.conv.data

    def save(self, ctx: Ctx, values: dict[str, Any], ind_id: int | None = None) -> AnswerRead:
        """Change an indicator's answer (the open question's by default): staged, and seen
        by the rest of the update. The chat form and the Mini App change answers so."""
        if ind_id is None:
            ind_id = self.order[self.data["idx"]]
        self.answers[ind_id] = stage_update(ctx.s, self.answers[ind_id], **values)
        return self.answers[ind_id]

    @property
    def order(self) -> list[int]:
        return list(self.data["order"])

    def ind(self, idx: int | None = None) -> Indicator | IndicatorView:
        return self.indicators[self.order[self.data["idx"] if idx is None else idx]]

    def ans(self, idx: int | None = None) -> AnswerRead:
        return self.answers[self.order[self.data["idx"] if idx is None else idx]]

    def cap(self, idx: int | None = None, value: Decimal | None = None) -> Decimal | None:
        ans = self.ans(idx)
        return capaian_of(
            self.ind(idx), ans.realisation if value is None else value, self.rnd.period
        )


# The form's statements are built once (SQLAlchemy reuses their cache key and compiled SQL).
# An answer reads the whole open form in one (`_FORM`, below); a form with no answers (a
# section without indicators) reads its submission and round alone, locking the round
# against changes while the answer is written (shared: answers never change it). The
# round's lists (every indicator and team member of the office: JSON that grows with it)
# are not read by the form, and load on their own if something later in the update asks.
_ROUND_COLUMNS = (
    joinedload(Submission.section).lazyload(Section.head),
    defer(CollectionRound.indicator_ids),
    defer(CollectionRound.team_ids),
    defer(CollectionRound.plan),
)
_SUBMISSION_AND_ROUND = (
    select(Submission, CollectionRound)
    .join(CollectionRound, CollectionRound.id == Submission.round_id)
    .options(*_ROUND_COLUMNS)
    .where(Submission.id == bindparam("sub"))
    .with_for_update(read=True, of=CollectionRound)
)


def _target(period: ColumnElement[str]) -> ScalarSelect[str]:
    return (
        select(IndicatorTarget.target)
        .where(IndicatorTarget.indicator_id == Indicator.id, IndicatorTarget.period == period)
        .scalar_subquery()
    )


_A, _I = Answer.__table__, Indicator.__table__


_VIEW = ("id", "code", "name", "unit", "polarity", "lower_method")  # IndicatorView's columns


def _indicator_columns(period: ColumnElement[str], year: ColumnElement[str]) -> tuple[Any, ...]:
    """An indicator's columns as the form reads them (`_VIEW`, then its target for `period`,
    else for `year`, as `target_text` chooses)."""
    return (*(_I.c[k] for k in _VIEW), func.coalesce(_target(period), _target(year)))


def _view(row: Any, at: int, period: str) -> IndicatorView:
    """The indicator of a row with `_indicator_columns` from position `at`, its target under
    the round's period."""
    ind_id, code, name, unit, polarity, lower_method, target = row[at : at + len(_VIEW) + 1]
    targets = (PeriodTarget(period, target),) if target is not None else ()
    return IndicatorView(ind_id, code, name, unit, polarity, lower_method, targets)


# An answer typed or pressed reads the open form as plain reads (`db.reads`): no ORM
# object is made (the answers, the submission, its section and its round cost about 25 us
# each as ORM objects, and the form reads only their columns). Staged changes to them are
# written as to loaded objects. The year of a period key ("2026-Q3", "2026") is its first
# four characters (sop.parse_period).
_S, _R, _SEC = Submission.__table__, CollectionRound.__table__, Section.__table__
_DEFERRED = ("indicator_ids", "team_ids", "plan")  # the round's lists (see _ROUND_COLUMNS)
_FORM = (
    select(
        *columns(AnswerRead),
        *_indicator_columns(_R.c.period, func.substr(_R.c.period, 1, 4)),
        *columns(SubmissionRead),
        *columns(RoundRead),
        *columns(SectionRead),
    )
    .join(_I, _I.c.id == _A.c.indicator_id)
    .join(_S, _S.c.id == _A.c.submission_id)
    .join(_R, _R.c.id == _S.c.round_id)
    .join(_SEC, _SEC.c.id == _S.c.section_id)
    .where(_A.c.submission_id == bindparam("sub"))
    .with_for_update(read=True, of=_R)
)


# where each read starts in a row of `_FORM`
_F_IND = width(AnswerRead)
_F_SUB = _F_IND + len(_VIEW) + 1
_F_RND = _F_SUB + width(SubmissionRead)
_F_SEC = _F_RND + width(RoundRead)


def _form_reads(row: Any) -> tuple[SubmissionRead, RoundRead]:
    """The submission (with its section) and round of a row of `_FORM`."""
    section = SectionRead(*row[_F_SEC : _F_SEC + width(SectionRead)])
    return SubmissionRead(section, *row[_F_SUB:_F_RND]), RoundRead(*row[_F_RND:_F_SEC])


def _form(ctx: Ctx) -> Form:
    """The open form: conversation, submission, round, indicators and answers (memoized;
    one statement — the conversation came with the person)."""

    def compute() -> Form:
        conv = ctx.conversation()
        if conv is None or conv.kind != "form":
            raise Stale(t("form_not_open"))
        rows = ctx.s.connection().execute(_FORM, {"sub": conv.data["sub"]}).all()
        if not rows:  # no answers (a section without indicators), or no such submission
            row = ctx.s.execute(_SUBMISSION_AND_ROUND, {"sub": conv.data["sub"]}).first()
            if row is None:
                raise Stale(t("form_not_open"))
            _check_open(ctx, row.Submission, row.CollectionRound)
            return Form(conv, row.Submission, row.CollectionRound, {}, {})
        sub, rnd = _form_reads(rows[0])
        _check_open(ctx, sub, rnd)
        answers = {r.indicator_id: AnswerRead(*r[:_F_IND]) for r in rows}
        inds = {r.indicator_id: _view(r, _F_IND, rnd.period) for r in rows}
        return Form(conv, sub, rnd, inds, answers)

    form: Form = ctx.memo("form", compute)
    return form


def _bump(ctx: Ctx, form: Form, **changes: object) -> None:
    """Move the form on; the prompt's sequence number changes so older buttons go stale."""
    to = changes.get("stage", form.data["stage"])
    if to not in STAGES[form.data["stage"]].get(form.via, ()):
        raise AssertionError(f"form: {form.data['stage']} → {to} by {form.via} is not in STAGES")
    conv = ctx.update_conversation(seq=form.data["seq"] + 1, **changes)
    assert conv is not None  # the form's, open
    form.conv = conv


def _button(ctx: Ctx, form: Form, label: str, action: str, idx: int | None = None) -> list[str]:
    """A button of the form's token family: no token row per prompt (see router.press)."""
    return [label, family_data(form.data["tok"], action, form.data["seq"], idx)]


def _family_token(ctx: Ctx, sub: Submission) -> str:
    """The one reusable token all buttons of this person's form share."""
    return ctx.button("", FAMILY, person=ctx.who, reusable=True, prefix="form_", sub=sub.id)[1]


def _show(ctx: Ctx, text: str, buttons: list[list[list[str]]], edit: bool) -> None:
    """Edit the pressed message into the next prompt (Telegram), or send it as a message."""
    if edit and ctx.msg.button_message_id:
        ctx.edit_pressed(text, buttons)
    else:
        ctx.reply(text, buttons=buttons)


# Opening a form reads the section's indicators, each with the round's target and the
# submission's answer where it has one, in one statement of plain rows (the indicators with
# their targets, then the answers, as ORM objects cost twice as much, in two).
_OPENING = (
    select(
        *_indicator_columns(bindparam("period"), bindparam("year")),
        *columns(AnswerRead),
    )
    .select_from(_I)
    .outerjoin(_A, (_A.c.indicator_id == _I.c.id) & (_A.c.submission_id == bindparam("sub")))
    .where(_I.c.section_id == bindparam("section"))
    .order_by(_I.c.position, _I.c.id)
)
_O_ANS = len(_VIEW) + 1  # where the answer starts in a row of `_OPENING`


def _opening(
    ctx: Ctx, sub: Submission, rnd: CollectionRound
) -> tuple[dict[int, IndicatorView], dict[int, AnswerRead], list[int]]:
    """The section's indicators in the round (and any it has answered besides), its answers
    by indicator, and the round's indicators in the form's order."""
    chosen = set(rnd.indicator_ids or ())
    keys = target_periods(rnd.period)
    params = {"sub": sub.id, "section": sub.section_id, "period": keys[0], "year": keys[-1]}
    inds: dict[int, IndicatorView] = {}
    answers: dict[int, AnswerRead] = {}
    for r in ctx.s.connection().execute(_OPENING, params):
        ind_id, answered = r[0], r[_O_ANS] is not None
        if ind_id not in chosen and not answered:
            continue
        inds[ind_id] = _view(r, 0, rnd.period)
        if answered:
            answers[ind_id] = AnswerRead(*r[_O_ANS:])
    return inds, answers, [i for i in inds if i in chosen]


def open_form(
    ctx: Ctx, sub: Submission, edit: bool = False, rnd: CollectionRound | None = None
) -> None:
    """Open (or resume) the section's form; `rnd`: its round, already read and locked."""
    rnd = _check_open(ctx, sub, rnd)
    inds, answers, order = open_answers(ctx, sub, rnd)
    conv = ctx.conversation()
    if conv is not None and conv.kind == "form" and conv.data.get("sub") == sub.id:
        if "tok" not in conv.data:
            conv = ctx.update_conversation(tok=_family_token(ctx, sub)) or conv
        form = Form(conv, sub, rnd, inds, answers)
        ctx.memo("form", lambda: form)
        _ask(ctx, form, edit=edit, opening=True)  # resume exactly where the person was
        return
    # a return or a revision opens the indicators it names first
    reopened = [n for n, i in enumerate(order) if answers[i].reopen_note]
    unfinished = [n for n, i in enumerate(order) if not answers[i].done]
    first = next(iter(reopened or unfinished), None)
    seq = (conv.data.get("seq", 0) if conv is not None and conv.kind == "form" else 0) + 1
    conv = ctx.set_conversation(
        "form",
        sub=sub.id,
        order=order,
        idx=first or 0,
        stage="value" if first is not None else "summary",
        seq=seq,
        tok=_family_token(ctx, sub),
    )
    form = Form(conv, sub, rnd, inds, answers)
    ctx.memo("form", lambda: form)
    prefix = ""
    if sub.status == "returned" and sub.note:
        prefix = t("form_note", note=sub.note)  # said once, naming who asked
    _ask(ctx, form, prefix=prefix, edit=edit, opening=True)


def open_answers(
    ctx: Ctx, sub: Submission, rnd: CollectionRound
) -> tuple[dict[int, IndicatorView], dict[int, AnswerRead], list[int]]:
    """The section's indicators, an answer for each (made where missing) and their order;
    the form counts as started (`sub`, loaded, changes in memory too). The chat form and
    the Mini App (`sheet.py`) open so."""
    inds, answers, order = _opening(ctx, sub, rnd)
    if sub.status == "not_started":
        stage_update(ctx.s, sub, status="in_progress", started_at=ctx.now)
        ctx.audit("form_started", round_id=rnd.id, section=sub.section_id)
    missing = [
        {"submission_id": sub.id, "indicator_id": i, "done": False}
        for i in order
        if i not in answers
    ]
    for ans in insert_rows(ctx.s, AnswerRead, missing):
        answers[ans.indicator_id] = ans
    return inds, answers, order


# --- prompts ---------------------------------------------------------------------------------


def _ask(ctx: Ctx, form: Form, prefix: str = "", edit: bool = False, opening: bool = False) -> None:
    """Show what the form wants next, after `prefix` (what was just saved). `opening`: the
    form's first prompt, which also offers the whole section on one screen."""
    text, rows = _prompt(ctx, form)
    if opening:
        from bot.features.sheet import open_button

        row = open_button(ctx.core.settings, form.sub.id)
        rows = [*rows, row] if row else rows
    _show(ctx, f"{prefix}\n\n{text}" if prefix else text, rows, edit)


def _prompt(ctx: Ctx, form: Form) -> tuple[str, list[list[list[str]]]]:
    stage = form.data["stage"]
    if stage == "summary":
        return _summary(ctx, form)
    ind, ans = form.ind(), form.ans()
    header = t(
        "form_header",
        section=form.sub.section.name,
        n=form.data["idx"] + 1,
        total=len(form.order),
        name=f"{ind.code} {ind.name}",
        unit=ind.unit or "-",
        period=form.rnd.period_label,
        target=target_display(ind, form.rnd.period),
        direction=t("dir_higher") if ind.polarity == "higher" else t("dir_lower"),
    )
    if ans.reopen_note:
        header += "\n" + t("form_note_indicator", note=ans.reopen_note)
    if stage == "confirm":
        value = Decimal(form.data["pending"])
        text = t(
            "form_confirm_odd",
            value=format_quantity_id(value, ind.unit),
            capaian=format_percent_id(form.cap(value=value)),
        )
        return text, [
            [
                _button(ctx, form, t("btn_yes_correct"), "form_confirm"),
                _button(ctx, form, t("btn_change"), "form_reenter"),
            ]
        ]
    if stage == "explain":
        lines = [header]
        if ans.explanation:
            lines.append(t("form_saved_explanation", text=ans.explanation))
        required = explanation_required(form.cap())
        lines.append(
            t("form_ask_explain_required" if required else "form_ask_explain", code=ind.code)
        )
        rows = []
        if ans.explanation:
            lines.append(t("form_keep_explain_hint"))
            rows.append([_button(ctx, form, t("btn_keep_explain"), "form_keep_explain")])
        elif not required:
            rows.append([_button(ctx, form, t("btn_no_explain"), "form_keep_explain")])
        return "\n".join(lines), rows
    # stage == "value"
    lines = [header]
    buttons = []
    if ans.realisation is not None:
        lines.append(
            t(
                "form_current",
                value=format_quantity_id(ans.realisation, ind.unit),
                capaian=capaian_chat(form.cap()),
            )
        )
        if ans.explanation:
            lines.append(t("form_saved_explanation", text=ans.explanation))
        lines.append(t("form_keep_hint"))
        buttons.append(
            _button(ctx, form, t("btn_keep", value=format_number_id(ans.realisation)), "form_keep")
        )
    else:
        lines.append(t("form_ask_value"))
    rows = []
    prev = form.data.get("prev")
    if prev is not None and prev != form.data["idx"]:
        rows.append([_explain_button(ctx, form, prev)])
    if buttons:
        rows.append([*buttons, _explain_button(ctx, form, form.data["idx"])])
    rows.append(
        [
            _button(ctx, form, t("btn_later"), "form_later"),
            _button(ctx, form, t("btn_summary"), "form_summary"),
        ]
    )
    return "\n".join(lines), rows


def _explain_button(ctx: Ctx, form: Form, idx: int) -> list[str]:
    label = t("btn_add_explain", code=form.ind(idx).code)
    return _button(ctx, form, label, "form_add_explain", idx=idx)


# --- typed answers and files -----------------------------------------------------------------

_VALUE_THEN_TEXT = re.compile(r"^\s*(\S+)\s*[-–:;,]?\s+(\D.*)$", re.S)


def parse_answer(text: str, unit: str) -> tuple[Decimal, str | None]:
    """A value, optionally followed by its explanation ("87,5 kendala cuaca" or on a new
    line). A unit after the number ("85 %", "12 desa") is not an explanation."""
    try:
        return parse_number_id(text), None
    except NumberParseError as exc:
        m = _VALUE_THEN_TEXT.match(text)
        if m is None:
            raise exc from None
        try:
            value = parse_number_id(m.group(1))
        except NumberParseError:
            raise exc from None
        rest = m.group(2).strip()
        if rest.lower() in {unit.lower(), "%", "persen"} or len(rest) < 3:
            return value, None
        return value, rest[:2000]


@router.conversation("form")
def on_input(ctx: Ctx) -> None:
    """A typed answer or a file for the open question."""
    form = _form(ctx)
    if ctx.msg.file is not None:
        _receive_file(ctx, form)
        return
    text = (ctx.msg.text or "").strip()
    stage = form.data["stage"]
    if TEXT not in STAGES[stage]:
        key = "form_use_confirm_buttons" if stage == "confirm" else "form_summary_use_buttons"
        raise UserError(t(key))
    if stage == "value":
        ind = form.ind()
        try:
            value, explanation = parse_answer(text, ind.unit or "")
        except NumberParseError as exc:
            raise UserError(f"{exc}\n{t('form_try_again')}") from None
        if looks_suspicious(form.cap(value=value), value):
            _bump(ctx, form, stage="confirm", pending=str(value), pending_text=explanation)
            _ask(ctx, form)
            return
        _save_value(ctx, form, value, explanation)
    elif stage == "explain":
        ans = form.ans()
        if text == KEEP and ans.explanation:
            _finish(ctx, form, t("form_explain_kept", code=form.ind().code))
            return
        if len(text) < 3:
            raise UserError(t("form_explain_short"))
        form.save(ctx, {"explanation": text[:2000], "updated_at": ctx.now})
        _finish(ctx, form, t("form_explain_saved", code=form.ind().code))


def _save_value(
    ctx: Ctx, form: Form, value: Decimal, explanation: str | None, edit: bool = False
) -> None:
    extra = {"explanation": explanation} if explanation else {}
    form.save(ctx, {"realisation": value, "updated_at": ctx.now, **extra})
    _after_value(ctx, form, "form_saved_value", edit, explained=bool(explanation))


def _after_value(ctx: Ctx, form: Form, key: str, edit: bool, explained: bool = False) -> None:
    """The value is in: the indicator is done, unless it needs an explanation it lacks."""
    ind, ans = form.ind(), form.ans()
    cap = form.cap()
    saved = t(
        key,
        icon=capaian_icon(cap),
        code=ind.code,
        value=format_quantity_id(ans.realisation, ind.unit),
        capaian=capaian_chat(cap),
    )
    if explained:
        saved += " " + t("form_with_explanation")
    if explanation_required(cap) and not ans.explanation:
        _bump(ctx, form, stage="explain", prev=None)
        _ask(ctx, form, prefix=saved, edit=edit)
        return
    _finish(ctx, form, saved, edit=edit, offer_explain=not ans.explanation)


def _finish(
    ctx: Ctx, form: Form, saved: str, edit: bool = False, offer_explain: bool = False
) -> None:
    """Mark the open indicator done and ask the next unfinished one (or show the summary)."""
    form.save(ctx, {"done": True, "reopen_note": None})
    idx, order = form.data["idx"], form.order
    later = [j for j in range(idx + 1, len(order)) if not form.answers[order[j]].done]
    earlier = [j for j in range(0, idx) if not form.answers[order[j]].done]
    nxt = next(iter(later or earlier), None)
    prev = idx if offer_explain else None
    if nxt is None:
        _bump(ctx, form, stage="summary", prev=None)
    else:
        _bump(ctx, form, idx=nxt, stage="value", prev=prev)
    _ask(ctx, form, prefix=saved, edit=edit)


def _receive_file(ctx: Ctx, form: Form) -> None:
    """Evidence at any point, filed under the indicator it belongs to: the one whose code the
    caption starts with; else the open question's, with a one-tap [Pindahkan ke …] for each
    other indicator; on the summary (no question open) the person chooses with buttons. The
    caption is kept as the file's description."""
    f = ctx.msg.file
    assert f is not None
    caption = (ctx.msg.text or "").strip()
    idx = None
    m = re.match(r"^([\w.-]+)\b[\s:,-]*(.*)$", caption, re.S)
    if m:
        codes = {form.indicators[i].code.lower(): n for n, i in enumerate(form.order)}
        if m.group(1).lower() in codes:
            idx, caption = codes[m.group(1).lower()], m.group(2).strip()
    stored = _store(ctx, f)
    about: dict[str, Any] = {"sub": form.sub.id, "photo": f.is_photo}
    offered = STAGES[form.data["stage"]]
    if idx is None and "evidence_to" in offered:  # no question open: which indicator?
        rows = [
            [ctx.button(form.indicators[i].code, "evidence_to", person=ctx.who, **about,
                        file=stored.id, indicator=i, desc=caption)]
            for i in form.order
        ]  # fmt: skip
        ctx.reply(t("form_file_which", name=f.name), buttons=_rows_of(rows, 3))
        return
    named = idx is not None
    ind, ans = form.ind(idx), form.ans(idx)
    att = Attachment(
        answer_id=ans.id, file_id=stored.id, created_at=ctx.now, description=caption or None
    )
    ctx.s.add(att)
    text = _filed(ctx, form.rnd.id, ind, ans, stored, f.is_photo, caption)
    if named or len(form.order) < 2 or "evidence_move" not in offered:
        ctx.reply(text)
        return
    ctx.s.flush()  # the attachment's id, for the buttons that move it
    rows = [
        [ctx.button(t("btn_move_file", code=form.indicators[i].code), "evidence_move",
                    person=ctx.who, **about, attachment=att.id, indicator=i)]
        for i in form.order
        if i != ind.id
    ]  # fmt: skip
    ctx.reply(text + "\n" + t("form_file_move_hint"), buttons=_rows_of(rows, 2))


def _store(ctx: Ctx, f: InboundFile) -> StoredFile:
    """The file kept under its own name (named as evidence once it is filed)."""
    ctx.core.files.check(f.name, f.size)
    if f.mime.startswith("error:") or f.content is None:
        raise UserError(t("file_download_failed", reason=f.mime.removeprefix("error:") or "-"))
    return ctx.core.files.put(
        ctx.s,
        ctx.who.office_id,
        f.content,
        f.name,
        f.mime,
        f"{ctx.msg.channel}:{f.source_id}",
        ctx.now,
    )


def store_evidence(
    ctx: Ctx,
    rnd: CollectionRound,
    ind: Indicator | IndicatorView,
    ans: Answer | AnswerRead,
    f: InboundFile,
    caption: str,
) -> tuple[str, int]:
    """Keep a file as evidence of an answer, named as people see it; returns its name and
    the answer's number of files. The Mini App stores evidence so (it names the indicator)."""
    stored = _store(ctx, f)
    ctx.s.add(
        Attachment(
            answer_id=ans.id, file_id=stored.id, created_at=ctx.now, description=caption or None
        )
    )
    _filed(ctx, rnd.id, ind, ans, stored, f.is_photo, caption)
    return stored.name, len(_attachment_names(ctx, ans, besides=0))


def _rows_of(buttons: list[list[list[str]]], n: int) -> list[list[list[str]]]:
    """Buttons `n` to a row, so a section's codes fit a phone's width."""
    flat = [b for row in buttons for b in row]
    return [flat[i : i + n] for i in range(0, len(flat), n)]


def _filed(
    ctx: Ctx,
    round_id: int,
    ind: Indicator | IndicatorView,
    ans: Answer | AnswerRead,
    stored: StoredFile,
    is_photo: bool,
    caption: str,
) -> str:
    """Name the file as evidence of `ind` (a photo after the indicator and its day), record
    it, and say so: what was filed where, and how many files the indicator now has."""
    names = _attachment_names(ctx, ans, besides=stored.id)
    day = ctx.cal.local(stored.created_at).date()
    photo_of_day = evidence_name(ind.code, stored.name, True, day)
    same_day = sum(n.startswith(photo_of_day.rsplit(".", 1)[0]) for n in names)
    stored.name = evidence_name(ind.code, stored.name, is_photo, day, same_day + 1)
    ctx.audit("evidence_received", round_id=round_id, file=stored.sha256, name=stored.name)
    return t(
        "form_file_saved",
        code=ind.code,
        name=stored.name,
        desc=t("form_file_desc", text=caption) if caption else "",
        count=len(names) + 1,
    )


def _attachment_names(ctx: Ctx, ans: Answer | AnswerRead, besides: int) -> list[str]:
    """The names of the answer's evidence files, but the file `besides` (being filed)."""
    return list(
        ctx.s.scalars(
            select(StoredFile.name)
            .join(Attachment, Attachment.file_id == StoredFile.id)
            .where(Attachment.answer_id == ans.id, StoredFile.id != besides)
        )
    )


def _evidence_target(ctx: Ctx, tok: Pressed) -> tuple[Submission, Indicator, Answer]:
    """The indicator a file is filed under by a button, in a form still open to its head."""
    sub = ctx.s.get(Submission, tok.payload["sub"])
    ind = ctx.s.get(Indicator, tok.payload["indicator"])
    if sub is None or ind is None:
        raise Stale(t("button_unknown"))
    _check_open(ctx, sub)
    ans = ctx.s.scalar(
        select(Answer).where(Answer.submission_id == sub.id, Answer.indicator_id == ind.id)
    )
    if ans is None:
        raise Stale(t("button_unknown"))
    return sub, ind, ans


@router.action("evidence_move")
def act_move_evidence(ctx: Ctx, tok: Pressed) -> None:
    """[Pindahkan ke PEM-2]: the file just filed under the open question belongs elsewhere."""
    sub, ind, ans = _evidence_target(ctx, tok)
    att = ctx.s.get(Attachment, tok.payload["attachment"])
    was = ctx.s.get(Answer, att.answer_id) if att is not None else None
    was_ind = ctx.s.get(Indicator, was.indicator_id) if was is not None else None
    if att is None or was is None or was_ind is None or was.submission_id != sub.id:
        raise Stale(t("button_unknown"))
    was_code = was_ind.code
    att.answer_id = ans.id
    ctx.s.flush()
    text = (
        t("form_file_moved", was=was_code, code=ind.code)
        + "\n"
        + _filed(ctx, sub.round_id, ind, ans, att.file, tok.payload["photo"], att.description or "")
    )
    ctx.audit("evidence_moved", round_id=sub.round_id, file=att.file.sha256, indicator=ind.code)
    if not ctx.edit_pressed(text, buttons=[]):
        ctx.reply(text)


@router.action("evidence_to")
def act_file_evidence(ctx: Ctx, tok: Pressed) -> None:
    """[PEM-2] under a file sent on the summary: file it under that indicator."""
    sub, ind, ans = _evidence_target(ctx, tok)
    stored = ctx.s.get(StoredFile, tok.payload["file"])
    if stored is None or stored.office_id != ctx.who.office_id:
        raise Stale(t("button_unknown"))
    desc = tok.payload.get("desc") or ""
    ctx.s.add(
        Attachment(
            answer_id=ans.id, file_id=stored.id, created_at=ctx.now, description=desc or None
        )
    )
    ctx.s.flush()
    text = _filed(ctx, sub.round_id, ind, ans, stored, tok.payload["photo"], desc)
    if not ctx.edit_pressed(text, buttons=[]):
        ctx.reply(text)


# --- buttons ---------------------------------------------------------------------------------


# The buttons that name an indicator (`idx`); which buttons each stage's prompt offers is
# in `STAGES`. A press the open prompt did not offer — forged, or of an older prompt — is
# refused as stale and changes nothing.
_NAMES_INDICATOR = frozenset({"form_add_explain", "form_edit"})


def _check_seq(ctx: Ctx, tok: Pressed) -> Form:
    """The open form, when the press is one of its current prompt's buttons: the form's own
    token (each opening of a form has its own, so a button of another form — an earlier
    round's, or before a return — is refused: `seq` starts again at 1 in a new form), the
    prompt's `seq`, an action the prompt's stage offers (`STAGES`), and an indicator of the
    form. All of it is in the conversation, so a stale press reads nothing more."""
    conv = ctx.conversation()
    data = conv.data if conv is not None and conv.kind == "form" else {}
    if (
        tok.token.token != data.get("tok")
        or tok.payload.get("seq") != data.get("seq")
        or tok.action not in STAGES.get(data.get("stage", ""), {})
        or ("idx" in tok.payload) != (tok.action in _NAMES_INDICATOR)
        or not 0 <= tok.payload.get("idx", 0) < len(data.get("order", ()))
    ):
        raise Stale(t("form_old_button"))
    form = _form(ctx)
    form.via = tok.action
    return form


@router.action("form_confirm")
def act_confirm(ctx: Ctx, tok: Pressed) -> None:
    """[Ya, benar]: an unusual value is meant."""
    form = _check_seq(ctx, tok)
    _save_value(ctx, form, Decimal(form.data["pending"]), form.data.get("pending_text"), edit=True)


@router.action("form_reenter")
def act_reenter(ctx: Ctx, tok: Pressed) -> None:
    form = _check_seq(ctx, tok)
    _bump(ctx, form, stage="value")
    _ask(ctx, form, edit=True)


@router.action("form_keep")
def act_keep(ctx: Ctx, tok: Pressed) -> None:
    """[Tetap]: keep the saved value."""
    form = _check_seq(ctx, tok)
    if form.ans().realisation is None:
        raise Stale(t("form_old_button"))
    _after_value(ctx, form, "form_kept_value", edit=True)


@router.action("form_keep_explain")
def act_keep_explain(ctx: Ctx, tok: Pressed) -> None:
    """[Tetap] on the saved explanation, or [Tanpa penjelasan] where none is needed."""
    form = _check_seq(ctx, tok)
    ans = form.ans()
    if not ans.explanation and explanation_required(form.cap()):
        raise Stale(t("form_old_button"))
    key = "form_explain_kept" if ans.explanation else "form_explain_none"
    _finish(ctx, form, t(key, code=form.ind().code), edit=True)


@router.action("form_add_explain")
def act_add_explain(ctx: Ctx, tok: Pressed) -> None:
    """[Penjelasan PEM-1]: add (or change) the explanation of the indicator just done."""
    form = _check_seq(ctx, tok)
    idx = tok.payload["idx"]
    # offered for the indicator just done, and for the open one once it has a value
    if idx != form.data.get("prev") and (idx != form.data["idx"] or form.ans().realisation is None):
        raise Stale(t("form_old_button"))
    _bump(ctx, form, idx=idx, stage="explain", prev=None)
    _ask(ctx, form, edit=True)


@router.action("form_later")
def act_later(ctx: Ctx, tok: Pressed) -> None:
    """[Isi nanti]: leave this indicator unfinished and go to the next one."""
    form = _check_seq(ctx, tok)
    order, idx = form.order, form.data["idx"]
    nxt = next((j for j in range(idx + 1, len(order)) if not form.answers[order[j]].done), None)
    if nxt is None:
        _bump(ctx, form, stage="summary", prev=None)
    else:
        _bump(ctx, form, idx=nxt, stage="value", prev=None)
    _ask(ctx, form, edit=True)


@router.action("form_summary")
def act_summary(ctx: Ctx, tok: Pressed) -> None:
    form = _check_seq(ctx, tok)
    _bump(ctx, form, stage="summary", prev=None)
    _ask(ctx, form, edit=True)


@router.action("form_edit")
def act_edit(ctx: Ctx, tok: Pressed) -> None:
    """[Ubah n] on the summary: open that indicator with its saved answer."""
    form = _check_seq(ctx, tok)
    _bump(ctx, form, idx=tok.payload["idx"], stage="value", prev=None)
    _ask(ctx, form)  # a new message: the summary stays readable above


# --- summary and sending ---------------------------------------------------------------------


_ATTACHMENTS = (  # built once: every summary asks (plain rows: only these are shown)
    select(Attachment.answer_id, Attachment.description, StoredFile.name)
    .join(StoredFile, StoredFile.id == Attachment.file_id)
    .where(Attachment.answer_id.in_(bindparam("answers", expanding=True)))
    .order_by(Attachment.id)
)


def summary_lines(
    ctx: Ctx,
    sub: Submission | SubmissionRead,
    rnd: CollectionRound | RoundRead,
    form: Form | None = None,
) -> list[str]:
    """Each indicator's answer, capaian, explanation and evidence (with its description).
    With the open `form`, its indicators and answers (already loaded) are used."""
    indicators: Sequence[Indicator | IndicatorView]
    answers: Mapping[int, Answer | AnswerRead]
    if form is not None:
        answers, indicators = form.answers, [form.indicators[i] for i in form.order]
    else:
        answers = answers_by_indicator(ctx.s, sub)
        indicators = round_indicators(ctx.s, loaded_round(ctx, rnd), sub.section_id)
    files: dict[int, list[Any]] = {}
    ids = [a.id for a in answers.values()]
    for att in ctx.s.connection().execute(_ATTACHMENTS, {"answers": ids}):
        files.setdefault(att.answer_id, []).append(att)
    lines = []
    for n, ind in enumerate(indicators, start=1):
        ans = answers.get(ind.id)
        if ans is None or ans.realisation is None:
            lines.append(t("sum_line_empty", n=n, code=ind.code, name=ind.name))
            continue
        cap = capaian_of(ind, ans.realisation, rnd.period)
        lines.append(
            t(
                "sum_line",
                n=n,
                code=ind.code,
                name=ind.name,
                icon=capaian_icon(cap),
                value=format_quantity_id(ans.realisation, ind.unit),
                target=target_display(ind, rnd.period),
                capaian=capaian_chat(cap),
                done="" if ans.done else t("sum_unfinished"),
            )
        )
        if ans.explanation:
            lines.append(t("sum_explain", text=ans.explanation))
        for att in files.get(ans.id, []):
            desc = t("form_file_desc", text=att.description) if att.description else ""
            lines.append(t("sum_file", name=att.name, desc=desc))
    return lines


def summary_text(ctx: Ctx, form: Form) -> str:
    """The section's header and every answer (the summary the chat and the Mini App show)."""
    sub, rnd = form.sub, form.rnd
    text = t(
        "sum_header",
        section=sub.section.name,
        period=rnd.period_label,
        deadline=format_datetime_id(sub.deadline, ctx.who.timezone),
    )
    return text + "\n\n" + "\n".join(summary_lines(ctx, sub, rnd, form))


def _summary(ctx: Ctx, form: Form) -> tuple[str, list[list[list[str]]]]:
    missing = [
        n
        for n, ind_id in enumerate(form.order, start=1)
        if form.answers[ind_id].realisation is None or not form.answers[ind_id].done
    ]
    text = summary_text(ctx, form)
    edit = [
        _button(ctx, form, t("btn_edit_n", n=n), "form_edit", idx=n - 1)
        for n in range(1, len(form.order) + 1)
    ]
    rows = [edit[i : i + 4] for i in range(0, len(edit), 4)]
    if missing:
        text += "\n\n" + t("sum_missing", numbers=", ".join(map(str, missing)))
    else:
        text += "\n\n" + t("sum_ready")
        rows.insert(0, [_button(ctx, form, t("btn_submit"), "form_submit")])
    return text, rows


@router.action("form_submit")
def act_submit(ctx: Ctx, tok: Pressed) -> None:
    """[Kirim]: the section's reply goes to the Kasubag Program for review."""
    form = _check_seq(ctx, tok)
    if any(a.realisation is None or not a.done for a in form.answers.values()):
        raise UserError(t("sum_missing_short"))
    submit_section(ctx, form)


def submit_section(ctx: Ctx, form: Form, reply: str = "") -> None:
    """The section's reply goes to the Kasubag Program: the chat's [Kirim] and the Mini
    App's do this, every answer done. `reply`: what the head is shown before the notice."""
    sub, rnd = form.sub, form.rnd
    late, timing = reply_timing(sub, ctx.now, ctx.cal)  # before it is marked sent
    # staged, not flushed: the one query that asks about submissions ("is every reply in")
    # leaves this one out, and nothing else here reads them by SQL
    sub = stage_update(
        ctx.s,
        sub,
        status="submitted",
        submitted_at=ctx.now,
        first_submitted_at=sub.first_submitted_at or ctx.now,
        note=None,
    )
    form.sub = sub
    conv = ctx.conversation()
    if conv is not None and conv.kind == "form" and conv.data.get("sub") == sub.id:
        ctx.end_conversation()
    ctx.audit("section_submitted", round_id=rnd.id, section=sub.section_id, late_days=late)
    ctx.reply(reply + t("form_submitted", section=sub.section.name, late=timing))
    from bot.features.compile import every_reply_in
    from bot.features.review import send_for_review
    from bot.procedure.reminders import cancel_section

    cancel_section(ctx, rnd, sub)
    if rnd.state == RoundState.COLLECTING:
        every_reply_in(ctx, rnd, sub)
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        send_for_review(ctx, rnd, sub, h.person, timing, form)
