"""The softcopy archive the SOP requires: one ZIP per round with the approved report (PDF,
XLSX, charts), every evidence file in a folder per section, the minutes, and a manifest with
SHA-256 hashes. Used by /arsip in chat and by `sakip-bot export ROUND`."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Answer,
    Attachment,
    CollectionRound,
    Decision,
    Indicator,
    Meeting,
    ReportVersion,
    StoredFile,
    Submission,
)


class ArchiveError(Exception):
    """The round cannot be archived (unknown, or not approved yet); message for the user."""


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", name).strip() or "file"


def build_zip(s: Session, data_dir: Path, rnd: CollectionRound, out: Path, now: datetime) -> Path:
    """Write the round's archive to `out`; deterministic names, nothing overwritten inside."""
    from bot.texts import t

    version = s.scalar(
        select(ReportVersion).where(
            ReportVersion.round_id == rnd.id, ReportVersion.status == "approved"
        )
    )
    if version is None:
        raise ArchiveError(t("archive_not_approved", period=rnd.period_label))
    decision = s.scalar(
        select(Decision).where(Decision.report_id == version.id, Decision.kind == "approve")
    )
    manifest: dict[str, Any] = {
        "round": rnd.id,
        "period": rnd.period_label,
        "version": version.version,
        "content_hash": version.content_hash,
        "approved_at": decision.at.isoformat() if decision else None,
        "approved_by": decision.person_id if decision else None,
        "created_at": now.isoformat(),
        "files": [],
    }
    used: set[str] = set()

    def add(zf: zipfile.ZipFile, stored: StoredFile, arcname: str) -> None:
        base, dot, ext = arcname.rpartition(".")
        name, n = arcname, 1
        while name in used:
            n += 1
            name = f"{base}_{n}.{ext}" if dot else f"{arcname}_{n}"
        used.add(name)
        content = (data_dir / stored.path).read_bytes()
        zf.writestr(name, content)
        manifest["files"].append(
            {
                "path": name,
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "original_name": stored.name,
            }
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    files = version.files
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arc in (
            ("final_pdf", "laporan.pdf"),
            ("final_xlsx", "laporan.xlsx"),
            ("final_chart", "grafik_ringkasan.png"),
        ):
            if key in files:
                add(zf, s.get(StoredFile, files[key]), arc)  # type: ignore[arg-type]
        for name, fid in (files.get("final_charts") or {}).items():
            add(zf, s.get(StoredFile, fid), f"grafik_{name}.png")  # type: ignore[arg-type]
        for sub in s.scalars(select(Submission).where(Submission.round_id == rnd.id)):
            folder = f"bukti/{_safe(sub.section.name)}"
            rows = s.execute(
                select(Attachment, Indicator.code)
                .join(Answer, Attachment.answer_id == Answer.id)
                .join(Indicator, Answer.indicator_id == Indicator.id)
                .where(Answer.submission_id == sub.id)
                .order_by(Attachment.id)
            ).all()
            for att, code in rows:
                add(zf, att.file, f"{folder}/{code}_{_safe(att.file.name)}")
        for meeting in s.scalars(select(Meeting).where(Meeting.round_id == rnd.id)):
            if meeting.notulen_file_id:
                stored = s.get(StoredFile, meeting.notulen_file_id)
                assert stored is not None
                add(zf, stored, f"notulen/v{meeting.version}_{_safe(stored.name)}")
            if meeting.notulen:
                zf.writestr(f"notulen/v{meeting.version}.txt", meeting.notulen)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return out


def export_round_cli(db: Any, settings: Any, round_id: int, output: Path | None) -> None:
    from bot.clock import SystemClock
    from bot.texts import t

    with db.transaction() as s:
        rnd = s.get(CollectionRound, round_id)
        if rnd is None:
            raise SystemExit(t("archive_unknown_round", round=round_id))
        out = output or Path(f"arsip_{rnd.period.replace('-', '_')}_putaran{rnd.id}.zip")
        try:
            build_zip(s, Path(settings.data_dir), rnd, out, SystemClock().now())
        except ArchiveError as exc:
            raise SystemExit(str(exc)) from None
        print(t("archive_written", path=out))
