"""SOP step 4 on one screen: the section's form as a Telegram Mini App, beside the chat form.

[Buka formulir] opens a page of the bot's own web app (handlers/miniapp.py) inside Telegram.
What the page sends comes back here as an update like a chat message (`Inbound.web`,
recorded in the inbox, handled by `Core.handle`) and changes the same answers, audit entries
and submission as the chat form, through the same functions of bot/features/form.py:
`open_answers` (the section's answers), `store_evidence` (a file) and `submit_section`
([Kirim]). The person, their section and the round are checked as the chat checks them
(`form._check_open`); only the values come from the page. The page's reads (`view`) pass the
same checks.

A value is done as in the chat: with its explanation when the target is not reached (or
there is no target), on its own otherwise; an unusual value (capaian above 150%, a negative
realisation) must be confirmed. The page computes the capaian as the person types with the
rules and words given here (`rules`); the server computes it again on every request.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bot.core import Ctx, InboundFile
from bot.errors import UserError
from bot.features.form import (
    _ATTACHMENTS,
    STATUS_TEXT,
    Form,
    _check_open,
    _opening,
    capaian_of,
    explanation_required,
    open_answers,
    store_evidence,
    submit_section,
    summary_text,
)
from bot.fmt import NumberParseError, format_datetime_id, format_number_id, parse_number_id
from bot.messaging.outbox import web_app_button
from bot.procedure.capaian import Target, looks_suspicious
from bot.procedure.rounds import IndicatorView, target_display, target_text
from bot.router import router
from bot.settings import Settings
from bot.texts import TEXTS, t
from db.models import CollectionRound, Indicator, Submission
from db.reads import AnswerRead, ConversationRead

PATH = "/formulir"  # where the web app serves the page, beside /dasbor
_SHA = re.compile(r"[0-9a-f]{64}")


def page_url(settings: Settings, sub_id: int) -> str | None:
    """The page of a section's form at the web app's public address (DASHBOARD_URL's, the
    dashboard being served at /dasbor there). Telegram opens only HTTPS pages; plain HTTP
    only on the loopback address, where the tests and the demo serve it."""
    base = settings.dashboard_url.strip().rstrip("/")
    root = base.removesuffix("/dasbor")
    if not root.startswith(("https://", "http://127.0.0.1:")):
        return None
    return f"{root}{PATH}/?s={sub_id}"


def open_button(settings: Settings, sub_id: int) -> list[list[str]]:
    """[Buka formulir], for a message's button row (none without a public HTTPS address).
    WhatsApp leaves it out (`outbox.chat_buttons`): its people keep the chat form."""
    url = page_url(settings, sub_id)
    return [web_app_button(t("btn_open_sheet"), url)] if url else []


def rules() -> dict[str, Any]:
    """What the page needs to compute the capaian as the chat words it (bot/procedure/capaian.py):
    plainly against the target, as `fmt.capaian_chat` does; the category band is for the
    documents, where the regulation's table uses it."""
    return {
        "met": t("capaian_target_met"),
        "not_met": t("capaian_target_not_met"),
        "odd": TEXTS["form_confirm_odd"],
        "odd_above": "150",
    }


def _submission(ctx: Ctx, raw: Any) -> tuple[Submission, CollectionRound]:
    """The submission the page names, checked as the chat checks it."""
    if not isinstance(raw, int | str) or not str(raw).isdigit() or len(str(raw)) > 12:
        raise UserError(t("sheet_unknown"))
    sub = ctx.s.get(Submission, int(raw))
    if sub is None:
        raise UserError(t("sheet_unknown"))
    return sub, _check_open(ctx, sub)


def _indicator(
    ind: IndicatorView, ans: AnswerRead | None, period: str, files: list[Any]
) -> dict[str, Any]:
    tt = target_text(ind, period)
    low = high = None
    if tt is not None:
        target = Target.parse(tt)
        low, high = str(target.low), str(target.high)
    value = ans.realisation if ans is not None else None
    return {
        "id": ind.id,
        "code": ind.code,
        "name": ind.name,
        "unit": ind.unit or "",
        "target": target_display(ind, period),
        "low": low,
        "high": high,
        "polarity": ind.polarity,
        "lower_method": ind.lower_method,
        "value": "" if value is None else format_number_id(value, 4),
        "explanation": (ans.explanation if ans is not None else None) or "",
        "done": bool(ans is not None and ans.done),
        "note": (ans.reopen_note if ans is not None else None) or "",
        "files": [{"name": f.name, "desc": f.description or ""} for f in files],
    }


def view(ctx: Ctx, sub_id: Any) -> dict[str, Any]:
    """The section's form as the page shows it: every indicator with its unit, target, the
    value and explanation saved so far and its evidence. Read only (no update)."""
    sub, rnd = _submission(ctx, sub_id)
    inds, answers, order = _opening(ctx, sub, rnd)
    ids = [a.id for a in answers.values()]
    files: dict[int, list[Any]] = {}
    if ids:
        for row in ctx.s.connection().execute(_ATTACHMENTS, {"answers": ids}):
            files.setdefault(row.answer_id, []).append(row)
    items = []
    for i in order:
        ans = answers.get(i)
        items.append(_indicator(inds[i], ans, rnd.period, files.get(ans.id, []) if ans else []))
    return {
        "sub": sub.id,
        "section": sub.section.name,
        "period": rnd.period_label,
        "deadline": t(
            "sheet_deadline", deadline=format_datetime_id(sub.deadline, ctx.who.timezone)
        ),
        "status": STATUS_TEXT[sub.status],
        "note": sub.note if sub.status == "returned" and sub.note else "",
        "indicators": items,
    }


# --- the page's requests, handled as updates ----------------------------------------------


@router.webapp("form")
def on_sheet(ctx: Ctx) -> None:
    """[Simpan], [Kirim] or a file from the page: the same changes as the chat form's."""
    req = ctx.msg.web or {}
    sub, rnd = _submission(ctx, req.get("sub"))
    inds, answers, order = open_answers(ctx, sub, rnd)
    op = req.get("op")
    if op == "file":
        _file(ctx, rnd, inds, answers, req)
        return
    if op not in ("save", "submit"):
        raise UserError(t("sheet_unknown"))
    # the section as one form with no question open: the page shows every indicator
    page = ConversationRead(ctx.who.id, "form", {"order": order, "idx": 0, "seq": 0}, ctx.now)
    form = Form(page, sub, rnd, inds, answers)
    changed = _save(ctx, form, req.get("answers"), submit=op == "submit")
    conv = ctx.conversation()
    if conv is not None and conv.kind == "form" and conv.data.get("sub") == sub.id:
        # the chat form's last prompt showed the answers as they were: its buttons go stale
        ctx.update_conversation(seq=int(conv.data.get("seq", 0)) + 1)
    if op == "save":
        ctx.notice(t("sheet_saved", n=changed) if changed else t("sheet_unchanged"))
        return
    missing = [inds[i].code for i in order if not form.answers[i].done]
    if missing:
        raise UserError(t("sheet_missing", codes=", ".join(missing)))
    reply = f"{summary_text(ctx, form)}\n\n{t('sheet_sent_from_app')} "
    submit_section(ctx, form, reply=reply)
    ctx.notice(t("form_submitted", section=sub.section.name, late="").strip())


def _save(ctx: Ctx, form: Form, entries: Any, submit: bool) -> int:
    """The page's values, saved as the chat form saves them (`Form.save`); how many answers
    changed. Any bad value refuses them all (the transaction rolls back), naming the
    indicator."""
    answers = form.answers
    if not isinstance(entries, list) or len(entries) > len(answers):
        raise UserError(t("sheet_unknown"))
    changed = 0
    for e in entries:
        if not isinstance(e, dict) or not str(e.get("indicator", "")).isdigit():
            raise UserError(t("sheet_unknown"))
        ind_id = int(e["indicator"])
        if ind_id not in answers:
            raise UserError(t("sheet_unknown"))
        ind, ans = form.indicators[ind_id], answers[ind_id]
        value = _value(ind, e.get("value"))
        explanation = str(e.get("explanation") or "").strip()[:2000] or None
        if explanation is not None and len(explanation) < 3:
            raise UserError(t("sheet_field_error", code=ind.code, error=t("form_explain_short")))
        cap = capaian_of(ind, value, form.rnd.period)
        if (
            value is not None
            and value != ans.realisation
            and looks_suspicious(cap, value)
            and e.get("confirmed") is not True
        ):
            odd = t(
                "form_confirm_odd",
                value=format_number_id(value),
                unit=ind.unit,
                capaian=f"{format_number_id(cap)}%" if cap is not None else "-",
            )
            raise UserError(t("sheet_field_error", code=ind.code, error=odd))
        complete = value is not None and (explanation is not None or not explanation_required(cap))
        differs = value != ans.realisation or explanation != ans.explanation
        if differs or (submit and complete and not ans.done):
            extra = {"reopen_note": None} if complete else {}
            values = {"realisation": value, "explanation": explanation, "done": complete}
            form.save(ctx, {**values, "updated_at": ctx.now, **extra}, ind_id)
            changed += differs
    return changed


def _value(ind: Indicator | IndicatorView, raw: Any) -> Decimal | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        return parse_number_id(text)
    except NumberParseError as exc:
        raise UserError(t("sheet_field_error", code=ind.code, error=str(exc))) from None


def _file(
    ctx: Ctx,
    rnd: CollectionRound,
    inds: dict[int, IndicatorView],
    answers: dict[int, AnswerRead],
    req: dict[str, Any],
) -> None:
    """A file the web app stored (by its SHA-256) before recording the request: kept as the
    indicator's evidence, as a file sent in chat is."""
    ind_id, sha = str(req.get("indicator", "")), str(req.get("sha", ""))
    if not ind_id.isdigit() or int(ind_id) not in answers or not _SHA.fullmatch(sha):
        raise UserError(t("sheet_unknown"))
    path = ctx.core.files.path_for(sha)
    if not path.exists():
        raise UserError(t("sheet_file_lost"))
    content = path.read_bytes()
    mime = str(req.get("mime") or "application/octet-stream")[:100]
    caption = str(req.get("caption") or "").strip()[:500]
    f = InboundFile(
        name=str(req.get("name") or "berkas")[:200],
        mime=mime,
        size=len(content),
        content=content,
        source_id=f"miniapp:{sha[:16]}",
        is_photo=mime in ("image/jpeg", "image/png", "image/webp"),
        caption=caption or None,
    )
    ind = inds[int(ind_id)]
    name, count = store_evidence(ctx, rnd, ind, answers[int(ind_id)], f, caption)
    desc = t("form_file_desc", text=caption) if caption else ""
    ctx.notice(t("form_file_saved", code=ind.code, name=name, desc=desc, count=count))
