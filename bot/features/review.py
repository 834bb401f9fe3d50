"""SOP step 4, the Kasubag's side: accept or return each section's reply, then compile the
draft report (automatically when every section is accepted, or on /kompilasi)."""

from __future__ import annotations

import re
from typing import Any

from bot.core import Ctx
from bot.errors import Stale, UserError
from bot.features.form import Form, summary_lines
from bot.fmt import format_datetime_id
from bot.procedure.roles import ROLE_LABELS, Role
from bot.procedure.rounds import (
    answers_by_indicator,
    current_round,
    expect,
    get_round,
    role_holders,
    round_indicators,
    submissions,
)
from bot.procedure.sop import RoundState
from bot.router import Pressed, router
from bot.texts import t
from db.models import CollectionRound, Person, Submission
from db.reads import RoundRead, SubmissionRead


def send_for_review(
    ctx: Ctx,
    rnd: CollectionRound | RoundRead,
    sub: Submission | SubmissionRead,
    kasubag: Person,
    timing: str,
    form: Form | None = None,
) -> None:
    """The Kasubag receives a section's reply, with how it was timed (`reply_timing`)."""
    text = t(
        "review_ask",
        section=sub.section.name,
        period=rnd.period_label,
        head=ctx.who.name,
        when=format_datetime_id(ctx.now, ctx.who.timezone),
        late=timing,
    )
    text += "\n\n" + "\n".join(summary_lines(ctx, sub, rnd, form))
    ctx.send(
        kasubag,
        text,
        buttons=[
            [
                ctx.button(
                    t("btn_accept"),
                    "review_accept",
                    person=kasubag,
                    sub=sub.id,
                    submitted=_stamp(sub),
                ),
                ctx.button(
                    t("btn_return"),
                    "review_return",
                    person=kasubag,
                    sub=sub.id,
                    submitted=_stamp(sub),
                ),
            ]
        ],
    )


def _stamp(sub: Submission | SubmissionRead) -> str:
    """When the reply was sent: a review button names it, and is stale once it changes."""
    return sub.submitted_at.isoformat() if sub.submitted_at else ""


def _reviewable(ctx: Ctx, tok: Pressed) -> tuple[CollectionRound, Submission]:
    ctx.require(Role.KASUBAG_PROGRAM)
    sub = ctx.s.get(Submission, tok.payload["sub"])
    if sub is None:
        raise Stale(t("button_unknown"))
    rnd = get_round(ctx, sub.round_id)
    expect(rnd, RoundState.COLLECTING, RoundState.REVISION)
    if sub.status != "submitted" or tok.payload.get("submitted") != _stamp(sub):
        raise Stale(t("review_stale", section=sub.section.name))
    return rnd, sub


@router.action("review_accept")
def act_accept(ctx: Ctx, tok: Pressed) -> None:
    """[Terima]: the section's reply is accepted; compile when every section is in."""
    rnd, sub = _reviewable(ctx, tok)
    sub.status, sub.accepted_at = "accepted", ctx.now
    ctx.edit_pressed(buttons=[])
    ctx.audit("section_accepted", round_id=rnd.id, section=sub.section_id)
    ctx.reply(t("review_accepted", section=sub.section.name))
    for h in role_holders(ctx, Role.KEPALA_SEKSI, sub.section_id):
        ctx.send(
            h.person, t("review_accepted_head", section=sub.section.name, kasubag=ctx.who.name)
        )
    if all(s.status == "accepted" for s in submissions(ctx.s, rnd)):
        from bot.features.compile import compile_draft

        compile_draft(ctx, rnd)


@router.action("review_return")
def act_return(ctx: Ctx, tok: Pressed) -> None:
    """[Kembalikan]: choose the indicators to correct with buttons, then write the note."""
    rnd, sub = _reviewable(ctx, tok)
    ctx.set_conversation("return_note", sub=sub.id, picked=[])
    ctx.reply(
        t("review_return_ask", section=sub.section.name), buttons=_pick_buttons(ctx, rnd, sub)
    )


def _pick_buttons(ctx: Ctx, rnd: CollectionRound, sub: Submission) -> list[list[list[str]]]:
    """One toggle per indicator of the section (✅ = to correct), then [Lanjut]."""
    conv = ctx.conversation()
    picked = set(conv.data.get("picked", [])) if conv is not None else set()
    # as [Kembalikan]'s: stale once the reply changes
    about: dict[str, Any] = {"sub": sub.id, "submitted": _stamp(sub)}
    rows = [
        [
            ctx.button(
                f"{'✅' if i.id in picked else '⬜'} {i.code} {_short(i.name)}",
                "review_pick",
                person=ctx.who,
                reusable=True,
                indicator=i.id,
                **about,
            )
        ]
        for i in round_indicators(ctx.s, rnd, sub.section_id)
    ]
    rows.append([ctx.button(t("btn_next"), "review_picked", person=ctx.who, **about)])
    return rows


def _short(name: str, width: int = 32) -> str:
    """An indicator's name cut to fit a button on a phone."""
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def _return_conv(ctx: Ctx, tok: Pressed) -> tuple[CollectionRound, Submission]:
    rnd, sub = _reviewable(ctx, tok)
    conv = ctx.conversation()
    if conv is None or conv.kind != "return_note" or conv.data.get("sub") != sub.id:
        raise Stale(t("review_stale", section=sub.section.name))
    return rnd, sub


@router.action("review_pick")
def act_pick(ctx: Ctx, tok: Pressed) -> None:
    """[⬜ TRA-1 …]: mark (or unmark) an indicator to correct."""
    rnd, sub = _return_conv(ctx, tok)
    conv = ctx.conversation()
    assert conv is not None
    picked = set(conv.data.get("picked", [])) ^ {tok.payload["indicator"]}
    ctx.update_conversation(picked=sorted(picked))
    ctx.edit_pressed(buttons=_pick_buttons(ctx, rnd, sub))


@router.action("review_picked")
def act_picked(ctx: Ctx, tok: Pressed) -> None:
    """[Lanjut]: ask for the note, naming what it is for."""
    rnd, sub = _return_conv(ctx, tok)
    conv = ctx.conversation()
    assert conv is not None
    picked = set(conv.data.get("picked", []))
    codes = [i.code for i in round_indicators(ctx.s, rnd, sub.section_id) if i.id in picked]
    ctx.edit_pressed(buttons=[])
    what = ", ".join(codes) if codes else t("review_return_whole", section=sub.section.name)
    ctx.reply(t("review_return_note_ask", what=what))


@router.conversation("return_note")
def on_return_note(ctx: Ctx) -> None:
    """The note: for the indicators chosen with buttons, or (none chosen) for the section;
    a line starting with an indicator's code still reopens that one."""
    conv = ctx.conversation()
    assert conv is not None
    sub = ctx.s.get(Submission, conv.data["sub"])
    assert sub is not None
    rnd = get_round(ctx, sub.round_id)
    expect(rnd, RoundState.COLLECTING, RoundState.REVISION)
    if sub.status != "submitted":
        ctx.end_conversation()
        raise Stale(t("review_stale", section=sub.section.name))
    note = (ctx.msg.text or "").strip()
    if len(note) < 5:
        raise UserError(t("review_note_short"))
    who = ROLE_LABELS[Role.KASUBAG_PROGRAM]
    picked = set(conv.data.get("picked", []))
    if picked:
        for ind_id, ans in answers_by_indicator(ctx.s, sub).items():
            if ind_id in picked:
                ans.done, ans.reopen_note = False, t("note_by", who=who, note=note)
        general = ""
        codes = [i.code for i in round_indicators(ctx.s, rnd, sub.section_id) if i.id in picked]
        note = f"{', '.join(codes)}: {note}"  # the head reads which indicators it is about
    else:
        general = reopen_named(ctx, sub, rnd, note, who)
    sub.status, sub.returns = "returned", sub.returns + 1
    sub.note = t("note_by", who=who, note=general) if general else None
    ctx.end_conversation()
    ctx.audit("section_returned", round_id=rnd.id, section=sub.section_id, note=note)
    ctx.reply(t("review_returned", section=sub.section.name))
    for h in role_holders(ctx, Role.KEPALA_SEKSI, sub.section_id):
        ctx.send(
            h.person,
            t("review_returned_head", section=sub.section.name, note=note, kasubag=ctx.who.name),
            buttons=[
                [
                    ctx.button(
                        t("btn_fix"), "form_open", person=h.person, reusable=True, submission=sub.id
                    )
                ]
            ],
        )


def reopen_named(ctx: Ctx, sub: Submission, rnd: CollectionRound, note: str, who: str) -> str:
    """Reopen the indicators a return note names by code ("PEM-2: lampirkan SK"), each with
    its own note; return what names no indicator (said once when the form opens)."""
    codes = {i.code.lower(): i.id for i in round_indicators(ctx.s, rnd, sub.section_id)}
    answers = answers_by_indicator(ctx.s, sub)
    general = []
    for raw in note.splitlines():
        line = raw.strip(" -•\t")
        m = re.match(r"^([\w.-]+)\s*[:\-–]?\s*(.*)$", line)
        ind_id = codes.get(m.group(1).lower()) if m else None
        if m is not None and ind_id is not None:
            ans = answers.get(ind_id)
            if ans is not None:
                ans.done = False
                ans.reopen_note = t("note_by", who=who, note=m.group(2).strip() or note)
        elif line:
            general.append(line)
    return "\n".join(general)


@router.command("kompilasi", Role.KASUBAG_PROGRAM)
def cmd_compile(ctx: Ctx) -> None:
    """Compile the draft now with what is in, naming the sections still missing."""
    rnd = current_round(ctx)
    if rnd is None:
        raise UserError(t("no_open_round"))
    expect(rnd, RoundState.COLLECTING, RoundState.REVISION)
    pending = [s for s in submissions(ctx.s, rnd) if s.status == "submitted"]
    if pending:
        raise UserError(
            t("compile_review_first", sections=", ".join(s.section.name for s in pending))
        )
    from bot.features.compile import compile_draft

    compile_draft(ctx, rnd)
