"""SOP step 4, the section head's side: the form for their section's indicators (/isi).

The form is data in the database (conversation + answers), so it survives restarts and is
shared by both channels: every answer is saved at once, and /isi resumes where it stopped.
Each prompt carries a sequence number; a button from an earlier prompt is refused.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.capaian import Target, capaian_words, compute_capaian, looks_suspicious
from bot.core import Ctx
from bot.errors import Stale, UserError
from bot.fmt import (
    NumberParseError,
    format_datetime_id,
    format_number_id,
    format_percent_id,
    parse_number_id,
)
from bot.roles import Role, headed_sections
from bot.rounds import (
    answers_by_indicator,
    get_round,
    open_rounds,
    role_holders,
    round_indicators,
    target_display,
    target_text,
)
from bot.router import router
from bot.sop import RoundState
from bot.texts import t
from db.models import Answer, Attachment, CollectionRound, Indicator, Submission

FILLABLE = ("not_started", "in_progress", "returned")
STATUS_TEXT = {
    "not_started": "belum mulai",
    "in_progress": "sedang diisi",
    "submitted": "sudah dikirim, menunggu pemeriksaan Kasubag",
    "returned": "dikembalikan untuk diperbaiki",
    "accepted": "sudah diterima",
}


def capaian_of(ind: Indicator, value: Decimal | None, period: str) -> Decimal | None:
    tt = target_text(ind, period)
    if tt is None or value is None:
        return None
    return compute_capaian(value, Target.parse(tt), ind.polarity, ind.lower_method)  # type: ignore[arg-type]


@router.command("isi", Role.KEPALA_SEKSI)
def cmd_fill(ctx: Ctx) -> None:
    """Open (or resume) the form of the section the person heads."""
    sections = {s.id: s for s in headed_sections(ctx.s, ctx.me, ctx.today)}
    subs: list[tuple[CollectionRound, Submission]] = []
    for rnd in open_rounds(ctx.s, ctx.me.office_id):
        for sub in ctx.s.scalars(select(Submission).where(Submission.round_id == rnd.id)):
            if sub.section_id in sections:
                subs.append((rnd, sub))
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
        open_form(ctx, open_subs[0][1])
        return
    rows = [
        [
            ctx.button(
                f"{sections[s.section_id].name} — {r.period_label}",
                "form_open",
                person=ctx.me,
                reusable=True,
                submission=s.id,
            )
        ]
        for r, s in open_subs
    ]
    ctx.reply(t("form_choose"), buttons=rows)


@router.action("form_open")
def act_open(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    sub = ctx.s.get(Submission, tok.payload["submission"])
    if sub is None:
        raise Stale(t("button_unknown"))
    open_form(ctx, sub)


def _check_open(ctx: Ctx, sub: Submission) -> CollectionRound:
    """The person must head the section today, and the form must be open for answers."""
    ctx.require(Role.KEPALA_SEKSI)
    mine = ctx.memo("headed", lambda: {s.id for s in headed_sections(ctx.s, ctx.me, ctx.today)})
    if sub.section_id not in mine:
        raise UserError(t("form_not_your_section", section=sub.section.name))
    rnd = get_round(ctx, sub.round_id, shared=True)  # answers never change the round
    if rnd.state not in (RoundState.COLLECTING, RoundState.REVISION) or sub.status not in FILLABLE:
        raise Stale(t("form_closed", section=sub.section.name, status=STATUS_TEXT[sub.status]))
    return rnd


def open_form(ctx: Ctx, sub: Submission) -> None:
    rnd = _check_open(ctx, sub)
    if sub.status == "not_started":
        sub.status, sub.started_at = "in_progress", ctx.now
        ctx.audit("form_started", round_id=rnd.id, section=sub.section_id)
    order = [i.id for i in round_indicators(ctx.s, rnd, sub.section_id)]
    answers = answers_by_indicator(ctx.s, sub)
    for ind_id in order:
        if ind_id not in answers:
            ctx.s.add(Answer(submission_id=sub.id, indicator_id=ind_id, done=False))
    ctx.s.flush()
    answers = answers_by_indicator(ctx.s, sub)
    first = next((i for i, ind_id in enumerate(order) if not answers[ind_id].done), None)
    conv = ctx.conversation()
    seq = (conv.data.get("seq", 0) if conv and conv.kind == "form" else 0) + 1
    if conv and conv.kind == "form" and conv.data.get("sub") == sub.id:
        ask(ctx)  # resume exactly where the person was
        return
    ctx.set_conversation(
        "form",
        sub=sub.id,
        order=order,
        idx=first or 0,
        stage="value" if first is not None else "summary",
        seq=seq,
    )
    if sub.note and sub.status == "returned":
        ctx.reply(t("form_returned_note", note=sub.note))
    ask(ctx)


def _state(ctx: Ctx) -> tuple[Submission, CollectionRound, dict]:  # type: ignore[type-arg]
    conv = ctx.conversation()
    if conv is None or conv.kind != "form":
        raise Stale(t("form_not_open"))
    sub = ctx.s.get(Submission, conv.data["sub"])
    assert sub is not None
    rnd = _check_open(ctx, sub)
    return sub, rnd, conv.data


def _button(ctx: Ctx, label: str, action: str, **payload: object) -> list[str]:
    conv = ctx.conversation()
    assert conv is not None
    return ctx.button(label, action, person=ctx.me, reusable=True, seq=conv.data["seq"], **payload)


def _bump(ctx: Ctx, **changes: object) -> None:
    conv = ctx.conversation()
    assert conv is not None
    ctx.update_conversation(seq=conv.data["seq"] + 1, **changes)


def ask(ctx: Ctx) -> None:
    """Show what the form wants next: a value, a confirmation, an explanation, files, or the
    summary."""
    sub, rnd, data = _state(ctx)
    if data["stage"] == "summary":
        _summary(ctx, sub, rnd)
        return
    ind = ctx.s.get(Indicator, data["order"][data["idx"]])
    assert ind is not None
    ans = answers_by_indicator(ctx.s, sub)[ind.id]
    n, total = data["idx"] + 1, len(data["order"])
    header = t(
        "form_header",
        section=sub.section.name,
        n=n,
        total=total,
        name=ind.name,
        unit=ind.unit or "-",
        period=rnd.period_label,
        target=target_display(ind, rnd.period),
        direction=t("dir_higher") if ind.polarity == "higher" else t("dir_lower"),
    )
    if ans.reopen_note:
        header += "\n" + t("form_reopen_note", note=ans.reopen_note)
    nav = [
        _button(ctx, t("btn_back"), "form_back"),
        _button(ctx, t("btn_skip"), "form_skip"),
        _button(ctx, t("btn_summary"), "form_summary"),
    ]
    stage = data["stage"]
    if stage == "value":
        current = ""
        if ans.realisation is not None:
            cap = capaian_of(ind, ans.realisation, rnd.period)
            current = "\n" + t(
                "form_current",
                value=format_number_id(ans.realisation),
                capaian=format_percent_id(cap),
            )
        ctx.reply(f"{header}{current}\n\n{t('form_ask_value')}", buttons=[nav])
    elif stage == "confirm":
        value = Decimal(data["pending"])
        cap = capaian_of(ind, value, rnd.period)
        ctx.reply(
            t(
                "form_confirm_odd",
                value=format_number_id(value),
                unit=ind.unit,
                capaian=format_percent_id(cap),
            ),
            buttons=[
                [
                    _button(ctx, t("btn_yes_correct"), "form_confirm"),
                    _button(ctx, t("btn_change"), "form_reenter"),
                ]
            ],
        )
    elif stage == "explain":
        cap = capaian_of(ind, ans.realisation, rnd.period)
        required = cap is None or cap < 100
        rows = (
            [nav] if required else [[_button(ctx, t("btn_skip_explain"), "form_no_explain")], nav]
        )
        ctx.reply(t("form_ask_explain_required" if required else "form_ask_explain"), buttons=rows)
    elif stage == "files":
        count = len(ctx.s.scalars(select(Attachment).where(Attachment.answer_id == ans.id)).all())
        ctx.reply(
            t("form_ask_files", count=count, max_mb=ctx.core.settings.max_file_mb),
            buttons=[[_button(ctx, t("btn_files_done"), "form_files_done")], nav],
        )


@router.conversation("form")
def on_input(ctx: Ctx) -> None:
    """A typed answer or a file for the current question."""
    sub, rnd, data = _state(ctx)
    if ctx.msg.file is not None:
        _receive_file(ctx, sub, rnd, data)
        return
    text = (ctx.msg.text or "").strip()
    stage = data["stage"]
    ind = ctx.s.get(Indicator, data["order"][data["idx"]]) if stage != "summary" else None
    if stage == "value":
        assert ind is not None
        try:
            value = parse_number_id(text)
        except NumberParseError as exc:
            raise UserError(f"{exc}\n{t('form_try_again')}") from None
        cap = capaian_of(ind, value, rnd.period)
        if looks_suspicious(cap, value):
            _bump(ctx, stage="confirm", pending=str(value))
            ask(ctx)
            return
        _save_value(ctx, sub, rnd, ind, value)
    elif stage == "explain":
        if len(text) < 3:
            raise UserError(t("form_explain_short"))
        ans = answers_by_indicator(ctx.s, sub)[data["order"][data["idx"]]]
        ans.explanation, ans.updated_at = text[:2000], ctx.now
        _bump(ctx, stage="files")
        ask(ctx)
    elif stage == "files":
        raise UserError(t("form_files_expected"))
    elif stage == "confirm":
        raise UserError(t("form_use_confirm_buttons"))
    else:
        raise UserError(t("form_summary_use_buttons"))


def _save_value(
    ctx: Ctx, sub: Submission, rnd: CollectionRound, ind: Indicator, value: Decimal
) -> None:
    ans = answers_by_indicator(ctx.s, sub)[ind.id]
    ans.realisation, ans.updated_at = value, ctx.now
    cap = capaian_of(ind, value, rnd.period)
    ctx.reply(
        t(
            "form_saved_value",
            value=format_number_id(value),
            unit=ind.unit,
            capaian=format_percent_id(cap),
            category=capaian_words(cap),
        )
    )
    _bump(ctx, stage="explain")
    ask(ctx)


def _receive_file(ctx: Ctx, sub: Submission, rnd: CollectionRound, data: dict) -> None:  # type: ignore[type-arg]
    f = ctx.msg.file
    assert f is not None
    if data["stage"] == "summary":
        raise UserError(t("form_file_in_summary"))
    ctx.core.files.check(f.name, f.size)
    if f.mime.startswith("error:") or f.content is None:
        raise UserError(t("file_download_failed", reason=f.mime.removeprefix("error:") or "-"))
    stored = ctx.core.files.put(
        ctx.s,
        ctx.me.office_id,
        f.content,
        f.name,
        f.mime,
        f"{ctx.msg.channel}:{f.source_id}",
        ctx.now,
    )
    ind_id = data["order"][data["idx"]]
    ans = answers_by_indicator(ctx.s, sub)[ind_id]
    ctx.s.add(Attachment(answer_id=ans.id, file_id=stored.id, created_at=ctx.now))
    ctx.s.flush()
    count = len(ctx.s.scalars(select(Attachment).where(Attachment.answer_id == ans.id)).all())
    ind = ctx.s.get(Indicator, ind_id)
    assert ind is not None
    ctx.audit("evidence_received", round_id=rnd.id, file=stored.sha256, name=f.name)
    ctx.reply(t("form_file_saved", name=f.name, indicator=ind.code, count=count))


def _advance(ctx: Ctx, sub: Submission) -> None:
    """Mark the current indicator done and go to the next unfinished one, or the summary."""
    _, _, data = _state(ctx)
    answers = answers_by_indicator(ctx.s, sub)
    answers[data["order"][data["idx"]]].done = True
    answers[data["order"][data["idx"]]].reopen_note = None
    _next(ctx, data, answers)


def _next(ctx: Ctx, data: dict, answers: dict[int, Answer]) -> None:  # type: ignore[type-arg]
    order = data["order"]
    for j in list(range(data["idx"] + 1, len(order))) + list(range(0, data["idx"] + 1)):
        if not answers[order[j]].done:
            _bump(ctx, idx=j, stage="value")
            ask(ctx)
            return
    _bump(ctx, stage="summary")
    ask(ctx)


def _check_seq(ctx: Ctx, tok) -> tuple[Submission, CollectionRound, dict]:  # type: ignore[no-untyped-def, type-arg]
    sub, rnd, data = _state(ctx)
    if tok.payload.get("seq") != data["seq"]:
        raise Stale(t("form_old_button"))
    ctx.edit_pressed(buttons=[])
    return sub, rnd, data


@router.action("form_confirm")
def act_confirm(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    sub, rnd, data = _check_seq(ctx, tok)
    ind = ctx.s.get(Indicator, data["order"][data["idx"]])
    assert ind is not None
    _save_value(ctx, sub, rnd, ind, Decimal(data["pending"]))


@router.action("form_reenter")
def act_reenter(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    _check_seq(ctx, tok)
    _bump(ctx, stage="value")
    ask(ctx)


@router.action("form_no_explain")
def act_no_explain(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    _check_seq(ctx, tok)
    _bump(ctx, stage="files")
    ask(ctx)


@router.action("form_files_done")
def act_files_done(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    sub, _, _ = _check_seq(ctx, tok)
    _advance(ctx, sub)


@router.action("form_skip")
def act_skip(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    """Leave this indicator for later (it stays unfinished)."""
    sub, _, data = _check_seq(ctx, tok)
    answers = answers_by_indicator(ctx.s, sub)
    order = data["order"]
    nxt = next((j for j in range(data["idx"] + 1, len(order)) if not answers[order[j]].done), None)
    if nxt is None:
        _bump(ctx, stage="summary")
    else:
        _bump(ctx, idx=nxt, stage="value")
    ask(ctx)


@router.action("form_back")
def act_back(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    _, _, data = _check_seq(ctx, tok)
    if data["stage"] != "value":
        _bump(ctx, stage="value")  # back within the indicator: re-enter its value
    elif data["idx"] > 0:
        _bump(ctx, idx=data["idx"] - 1, stage="value")
    else:
        raise UserError(t("form_at_start"))
    ask(ctx)


@router.action("form_summary")
def act_summary(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    _check_seq(ctx, tok)
    _bump(ctx, stage="summary")
    ask(ctx)


@router.action("form_edit")
def act_edit(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    _check_seq(ctx, tok)
    _bump(ctx, idx=int(tok.payload["idx"]), stage="value")
    ask(ctx)


def summary_lines(ctx: Ctx, sub: Submission, rnd: CollectionRound) -> list[str]:
    answers = answers_by_indicator(ctx.s, sub)
    lines = []
    for n, ind in enumerate(round_indicators(ctx.s, rnd, sub.section_id), start=1):
        ans = answers.get(ind.id)
        if ans is None or ans.realisation is None:
            lines.append(t("sum_line_empty", n=n, name=ind.name))
            continue
        cap = capaian_of(ind, ans.realisation, rnd.period)
        files = len(ctx.s.scalars(select(Attachment).where(Attachment.answer_id == ans.id)).all())
        lines.append(
            t(
                "sum_line",
                n=n,
                name=ind.name,
                value=format_number_id(ans.realisation),
                unit=ind.unit,
                target=target_display(ind, rnd.period),
                capaian=format_percent_id(cap),
                category=capaian_words(cap),
                files=files,
                done="" if ans.done else t("sum_unfinished"),
            )
        )
        if ans.explanation:
            lines.append(t("sum_explain", text=ans.explanation))
    return lines


def _summary(ctx: Ctx, sub: Submission, rnd: CollectionRound) -> None:
    answers = answers_by_indicator(ctx.s, sub)
    _, _, data = _state(ctx)
    missing = [
        n
        for n, ind_id in enumerate(data["order"], start=1)
        if answers[ind_id].realisation is None or not answers[ind_id].done
    ]
    text = t(
        "sum_header",
        section=sub.section.name,
        period=rnd.period_label,
        deadline=format_datetime_id(sub.deadline, ctx.office.timezone),
    )
    text += "\n\n" + "\n".join(summary_lines(ctx, sub, rnd))
    edit = [
        _button(ctx, t("btn_edit_n", n=n), "form_edit", idx=n - 1)
        for n in range(1, len(data["order"]) + 1)
    ]
    rows = [edit[i : i + 4] for i in range(0, len(edit), 4)]
    if missing:
        text += "\n\n" + t("sum_missing", numbers=", ".join(map(str, missing)))
    else:
        text += "\n\n" + t("sum_ready")
        rows.insert(0, [_button(ctx, t("btn_submit"), "form_submit")])
    ctx.reply(text, buttons=rows)


@router.action("form_submit")
def act_submit(ctx: Ctx, tok) -> None:  # type: ignore[no-untyped-def]
    """[Kirim]: the section's reply goes to the Kasubag Program for review."""
    sub, rnd, data = _check_seq(ctx, tok)
    answers = answers_by_indicator(ctx.s, sub)
    if any(answers[i].realisation is None or not answers[i].done for i in data["order"]):
        raise UserError(t("sum_missing_short"))
    sub.status, sub.submitted_at = "submitted", ctx.now
    sub.first_submitted_at = sub.first_submitted_at or ctx.now
    ctx.end_conversation()
    late = ctx.cal.working_days_late(sub.deadline, ctx.now)
    ctx.audit("section_submitted", round_id=rnd.id, section=sub.section_id, late_days=late)
    ctx.reply(
        t(
            "form_submitted",
            section=sub.section.name,
            late=t("late_note", days=late) if late else t("on_time_note"),
        )
    )
    from bot.features.review import send_for_review
    from bot.reminders import cancel_section

    cancel_section(ctx, rnd, sub)
    for h in role_holders(ctx, Role.KASUBAG_PROGRAM):
        send_for_review(ctx, rnd, sub, h.person, late)
