"""From the database to a report version: gather a round's answers into the report's view
model, compute capaian and comparisons, build the files, store them, record the version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import Ctx
from bot.procedure.calendar import WorkCalendar
from bot.procedure.capaian import (
    Target,
    category,
    combine_periods,
    compute_capaian,
    count_met,
    section_average,
)
from bot.procedure.roles import ROLE_LABELS, Role, holders, roles_of, title_for
from bot.procedure.rounds import (
    answers_by_indicator,
    round_indicators,
    submissions,
    target_text,
)
from bot.procedure.sop import RoundState, period_label, step_record
from bot.reports.model import place_of
from db.models import (
    Attachment,
    CollectionRound,
    Decision,
    Indicator,
    Office,
    Person,
    ReportVersion,
    RoundStep,
)

STATUS_TEXT = {
    "not_started": "Belum mengisi",
    "in_progress": "Belum dikirim",
    "submitted": "Dikirim, belum diperiksa",
    "returned": "Dikembalikan",
    "accepted": "Diterima",
}


def _capaian(ind: Indicator, value: Decimal | None, target: str | None) -> Decimal | None:
    if value is None or target is None:
        return None
    return compute_capaian(value, Target.parse(target), ind.polarity, ind.lower_method)  # type: ignore[arg-type]


def _previous_period(period: str) -> str:
    year, _, q = period.partition("-")
    if not q:
        return str(int(year) - 1)
    n = int(q[1])
    return f"{year}-Q{n - 1}" if n > 1 else f"{int(year) - 1}-Q4"


def _approved_values(
    s: Session, office_id: int, periods: list[str]
) -> dict[str, dict[int, Decimal | None]]:
    """Realisations per indicator from the approved rounds of the given periods."""
    out: dict[str, dict[int, Decimal | None]] = {}
    rounds = s.scalars(
        select(CollectionRound)
        .where(
            CollectionRound.office_id == office_id,
            CollectionRound.period.in_(periods),
            CollectionRound.state == RoundState.APPROVED,
        )
        .order_by(CollectionRound.id)
    )
    for rnd in rounds:
        values: dict[int, Decimal | None] = {}
        for sub in submissions(s, rnd):
            for ind_id, ans in answers_by_indicator(s, sub).items():
                values[ind_id] = ans.realisation
        out[rnd.period] = values
    return out


def report_data(
    s: Session,
    rnd: CollectionRound,
    version: int,
    cal: WorkCalendar,
    now: datetime,
    decision: Decision | None = None,
) -> Any:
    """The report's view model for a round (see bot/reports/model.py)."""
    from bot.reports import labels as L
    from bot.reports.model import (
        Approval,
        EvidenceFile,
        IndicatorRow,
        ReportData,
        SectionReport,
        StepTiming,
    )

    office = s.get(Office, rnd.office_id)
    assert office is not None
    year, _, q = rnd.period.partition("-")
    prev_key = _previous_period(rnd.period)
    ytd_keys = [f"{year}-Q{i}" for i in range(1, int(q[1]))] if q else []
    history = _approved_values(s, office.id, [prev_key, *ytd_keys])
    sections, missing = [], []
    for sub in submissions(s, rnd):
        answers = answers_by_indicator(s, sub)
        rows = []
        # a section that never sent its reply is reported as missing, whatever it typed so far
        have_data = sub.first_submitted_at is not None
        for ind in round_indicators(s, rnd, sub.section_id):
            ans = answers.get(ind.id)
            tt = target_text(ind, rnd.period)
            value = ans.realisation if ans is not None and have_data else None
            cap = _capaian(ind, value, tt)
            evidence: tuple[Any, ...] = ()
            if ans is not None and have_data:
                atts = s.scalars(
                    select(Attachment).where(Attachment.answer_id == ans.id).order_by(Attachment.id)
                )
                evidence = tuple(
                    EvidenceFile(a.file.name, a.file.sha256, a.file.size, a.description or "")
                    for a in atts
                )
            prev_val = history.get(prev_key, {}).get(ind.id)
            previous = _capaian(ind, prev_val, target_text(ind, prev_key))
            ytd = None
            if ytd_keys and value is not None:
                pairs = [
                    (history.get(k, {}).get(ind.id), Target.parse(target_text(ind, k) or "0"))
                    for k in ytd_keys
                    if target_text(ind, k)
                ]
                pairs.append((value, Target.parse(tt or "0")))
                combined, combined_target = combine_periods(pairs, ind.aggregation)  # type: ignore[arg-type]
                if combined is not None and combined_target is not None:
                    ytd = compute_capaian(combined, combined_target, ind.polarity, ind.lower_method)  # type: ignore[arg-type]
            rows.append(
                IndicatorRow(
                    code=ind.code,
                    sasaran=ind.sasaran,
                    name=ind.name,
                    unit=ind.unit,
                    target_text=tt or "-",
                    target=_num(tt),
                    realisation=value,
                    capaian=cap,
                    category=category(cap),
                    polarity=ind.polarity,
                    explanation=(ans.explanation or "") if ans is not None and have_data else "",
                    evidence=evidence,
                    previous=previous,
                    ytd=ytd,
                    lower_method=ind.lower_method,
                )
            )
        caps = [r.capaian for r in rows]
        if not have_data:
            missing.append(sub.section.name)
        late = (
            cal.working_days_late(sub.deadline, sub.first_submitted_at or now)
            if (sub.first_submitted_at or now > sub.deadline)
            else 0
        )
        head = sub.section.head
        sections.append(
            SectionReport(
                name=sub.section.name,
                head_name=head.name if head else "-",
                head_position=head.position if head else "-",
                indicators=tuple(rows),
                average=section_average(caps),
                met=count_met(caps),
                total=len(rows),
                deadline=sub.deadline,
                submitted_at=sub.first_submitted_at,
                late_working_days=late,
                returns=sub.returns,
                status_text=STATUS_TEXT.get(sub.status, sub.status),
                code=sub.section.code,
            )
        )
    people = {p.id: p for p in s.scalars(select(Person).where(Person.office_id == office.id))}
    runs = s.scalars(select(RoundStep).where(RoundStep.round_id == rnd.id)).all()
    steps = []
    for st in step_record(runs, cal):
        actor = people.get(st.actor_id) if st.actor_id else None
        outcome = L.OUTCOME_REVISIONS.format(n=st.runs) if st.number == 6 and st.runs > 1 else ""
        steps.append(
            StepTiming(
                number=st.number,
                name=st.sop.name + (f" — {outcome}" if outcome else ""),
                actor=_actor_text(s, actor, st.sop.actor, st.ended_at or st.started_at, cal),
                standard_text=st.sop.standard_text,
                started_at=st.started_at,
                ended_at=st.ended_at,
                on_time=st.on_time,
                due_at=st.due_at,
                iteration=st.runs,
                used_text=st.used_text,
                outcome=outcome,
                share=st.share,
            )
        )
    today = cal.local(now).date()
    sek = holders(s, office.id, Role.SEKRETARIS, today)
    camat = holders(s, office.id, Role.CAMAT, today)
    signer = s.get(Person, decision.person_id) if decision else (sek[0].person if sek else None)
    approval = Approval(
        name=signer.name if signer else "-",
        position=(
            decision.acting_label if decision and decision.acting_label else "Sekretaris Kecamatan"
        ),
        nip=signer.nip if signer else "-",
        approved_at=decision.at if decision else None,
        content_hash=decision.content_hash if decision else None,
        rank=signer.rank if signer else "",
    )
    camat_holder = camat[0] if camat else None
    camat_sign = (
        Approval(
            name=camat_holder.person.name,
            position=camat_holder.title or "Camat",
            nip=camat_holder.person.nip,
            rank=camat_holder.person.rank,
        )
        if camat_holder
        else None
    )
    averages = [sec.average for sec in sections if sec.average is not None]
    revisions = tuple(
        note
        for d in s.scalars(
            select(Decision)
            .join(ReportVersion)
            .where(ReportVersion.round_id == rnd.id, Decision.kind == "revise")
            .order_by(Decision.id)
        )
        for note in _revision_notes(d)
    )
    return ReportData(
        office_name=office.name.upper(),
        letterhead=tuple(office.letterhead or (office.name,)),
        period=rnd.period_label or period_label(rnd.period),
        version=version,
        generated_at=now,
        tz=office.timezone,
        sections=tuple(sections),
        overall=section_average(averages),
        steps=tuple(steps),
        approval=approval,
        is_draft=decision is None,
        missing_sections=tuple(missing),
        camat_name=camat[0].person.name if camat else "-",
        revision_notes=revisions,
        camat=camat_sign,
        place=place_of(office.name),
    )


def _revision_notes(d: Decision) -> list[str]:
    """The Sekretaris's notes, each with the indicator or section it is about ("PEM-2:
    lampirkan daftar hadir"), as the decision recorded them."""
    if d.items:
        return [f"{i['code']}: {i['comment']}" if i.get("code") else i["comment"] for i in d.items]
    return [line for line in (d.note or "").splitlines() if line.strip()]


# the role that fits a step when its actor does not hold the SOP's role (step 6 may be closed
# by the Kasubag who compiles the corrected report)
STEP_ROLE_PREFERENCE = (
    Role.KASUBAG_PROGRAM,
    Role.SEKRETARIS,
    Role.TIM_SAKIP,
    Role.CAMAT,
    Role.KEPALA_SEKSI,
    Role.ADMIN,
)


def _actor_text(
    s: Session, person: Person | None, sop_role: Role, at: datetime, cal: WorkCalendar
) -> str:
    """ "Role: Name" with a role the person held when they acted: the SOP's role for the step
    if they held it, otherwise the first they held from `STEP_ROLE_PREFERENCE`."""
    if person is None:
        return ROLE_LABELS[sop_role]
    day = cal.local(at).date()
    held = roles_of(s, person, day)
    role = (
        sop_role if sop_role in held else next((r for r in STEP_ROLE_PREFERENCE if r in held), None)
    )
    title = title_for(s, person, role, day) if role is not None else person.position
    return f"{title}: {person.name}" if title else person.name  # no second bracket after a name


def _num(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Target.parse(text).value  # type: ignore[attr-defined,no-any-return]
    except (ValueError, AttributeError):
        return None


def content_hash(data: Any) -> str:
    """SHA-256 over what the report says (numbers, texts, evidence hashes) — not over the PDF
    bytes, nor the approval block or timeline, so the approved content keeps its hash."""
    content = {
        "office": data.office_name,
        "period": data.period,
        "version": data.version,
        "sections": [
            {"name": sec.name, "indicators": [_hashed(row) for row in sec.indicators]}
            for sec in data.sections
        ],
        "missing": list(data.missing_sections),
    }
    blob = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _hashed(row: Any) -> dict[str, Any]:
    """A row's content for the hash: the fields that existed when reports were first
    approved (the formula's method is shown by the capaian itself)."""
    out = asdict(row)
    out.pop("lower_method", None)
    return out


def _summary(data: Any) -> dict[str, Any]:
    return {
        "overall": str(data.overall) if data.overall is not None else None,
        "below": [s.name for s in data.sections if s.average is not None and s.average < 100],
        "late": [s.name for s in data.sections if s.late_working_days > 0],
        # each section's result, for the heads' notice when the round is approved
        "sections": [
            {
                "name": s.name,
                "average": str(s.average) if s.average is not None else None,
                "met": s.met,
                "total": s.total,
            }
            for s in data.sections
        ],
    }


def _store_files(ctx: Ctx, files: Any, prefix: str) -> dict[str, Any]:
    put = ctx.core.files.put_path
    oid = ctx.who.office_id
    xlsx_mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        f"{prefix}pdf": put(ctx.s, oid, files.pdf, "application/pdf", "report", ctx.now).id,
        f"{prefix}xlsx": put(ctx.s, oid, files.xlsx, xlsx_mime, "report", ctx.now).id,
        f"{prefix}chart": put(ctx.s, oid, files.charts.summary, "image/png", "report", ctx.now).id,
        f"{prefix}charts": {
            name: put(ctx.s, oid, path, "image/png", "report", ctx.now).id
            for name, path in files.charts.named().items()
        },
    }


def _out_dir(ctx: Ctx, rnd: CollectionRound, version: int, final: bool) -> Path:
    base = Path(ctx.core.settings.data_dir) / "reports" / f"round_{rnd.id}" / f"v{version}"
    return base / ("final" if final else "draft")


def build_version(ctx: Ctx, rnd: CollectionRound) -> ReportVersion:
    """Compile report version N of the round: files built and stored, version recorded."""
    from bot.reports import build_report

    latest = ctx.s.scalar(
        select(ReportVersion.version)
        .where(ReportVersion.round_id == rnd.id)
        .order_by(ReportVersion.version.desc())
    )
    number = (latest or 0) + 1
    data = report_data(ctx.s, rnd, number, ctx.cal, ctx.now)
    files = build_report(data, _out_dir(ctx, rnd, number, final=False))
    stored = _store_files(ctx, files, "")
    stored["summary"] = _summary(data)
    version = ReportVersion(
        round_id=rnd.id,
        version=number,
        status="draft",
        content_hash=content_hash(data),
        files=stored,
        missing=list(data.missing_sections),
        created_at=ctx.now,
    )
    ctx.s.add(version)
    ctx.s.flush()
    return version


def finalize_version(
    ctx: Ctx, rnd: CollectionRound, version: ReportVersion, decision: Decision
) -> None:
    """After the paraf: the same content with the approval block filled, no DRAF mark."""
    from bot.reports import build_report

    ctx.s.flush()
    data = report_data(ctx.s, rnd, version.version, ctx.cal, ctx.now, decision)
    assert content_hash(data) == version.content_hash, "approved content changed"
    files = build_report(data, _out_dir(ctx, rnd, version.version, final=True))
    version.files = {**version.files, **_store_files(ctx, files, "final_")}
