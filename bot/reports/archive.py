"""The softcopy archive the SOP requires: one ZIP per round with the approved report (PDF,
XLSX, charts), every evidence file in a folder per section, the minutes, and a manifest with
SHA-256 hashes of every other file in the ZIP. Used by /arsip in chat and by
`sakip-bot export ROUND`."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Answer,
    Attachment,
    CollectionRound,
    Decision,
    Indicator,
    Meeting,
    Office,
    ReportVersion,
    StoredFile,
    Submission,
)


class ArchiveError(Exception):
    """The round cannot be archived (unknown, or not approved yet); message for the user."""


# names a phone or a chat app gives a photo ("foto_AgAD000003.jpg", "IMG_2031.jpg",
# "photo.jpg"): they say nothing, so the archive names such a file after its indicator and date
GENERIC_NAME = re.compile(
    r"(?:foto|photo|image|img|pict?|dsc|screenshot|file|dokumen|document)[\w\-]*"
    r"\.(?:jpe?g|png|webp|heic|gif)",
    re.IGNORECASE,
)


# the chart keys report versions stored before the names became Indonesian
ENGLISH_CHART_NAMES = {"sections": "seksi", "timeline": "waktu_langkah"}


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\- ]+", "_", name).strip() or "file"


def evidence_name(code: str, stored_name: str, local_day: date) -> str:
    """An evidence file's name in the archive: "PEM-1_daftar_hadir.pdf", or for a generic
    photo name "PEM-1_foto_2026-11-23.jpg"."""
    if GENERIC_NAME.fullmatch(stored_name):
        ext = stored_name.rpartition(".")[2].lower()
        return f"{_safe(code)}_foto_{local_day.isoformat()}.{ext}"
    if stored_name.startswith(f"{code}_"):  # named after its indicator when it arrived
        return _safe(stored_name)
    return f"{_safe(code)}_{_safe(stored_name)}"


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
    office = s.get(Office, rnd.office_id)
    # times in the office's zone, with their offset ("…T15:00:00+08:00"), as people read them
    zone = ZoneInfo(office.timezone if office else "Asia/Makassar")
    manifest: dict[str, Any] = {
        "round": rnd.id,
        "period": rnd.period_label,
        "version": version.version,
        "content_hash": version.content_hash,
        "approved_at": decision.at.astimezone(zone).isoformat() if decision else None,
        "approved_by": decision.person_id if decision else None,
        "created_at": now.astimezone(zone).isoformat(),
        "files": [],
    }
    used: set[str] = set()

    def add_bytes(zf: zipfile.ZipFile, content: bytes, arcname: str, **about: Any) -> None:
        """Write one file and its manifest entry (path, SHA-256, size, what it is)."""
        base, dot, ext = arcname.rpartition(".")
        name, n = arcname, 1
        while name in used:
            n += 1
            name = f"{base}_{n}.{ext}" if dot else f"{arcname}_{n}"
        used.add(name)
        zf.writestr(name, content)
        manifest["files"].append(
            {
                "path": name,
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                **{k: v for k, v in about.items() if v is not None},
            }
        )

    def add(zf: zipfile.ZipFile, stored: StoredFile, arcname: str, **about: Any) -> None:
        content = (data_dir / stored.path).read_bytes()
        add_bytes(zf, content, arcname, original_name=stored.name, **about)

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
            head, sep, tail = name.partition("_")  # older versions stored English keys
            name = ENGLISH_CHART_NAMES.get(head, head) + sep + tail
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
                day = att.created_at.astimezone(zone).date()
                add(
                    zf,
                    att.file,
                    f"{folder}/{evidence_name(code, att.file.name, day)}",
                    indicator=code,
                    description=att.description or "",
                )
        for meeting in s.scalars(select(Meeting).where(Meeting.round_id == rnd.id)):
            if meeting.notulen_file_id:
                stored = s.get(StoredFile, meeting.notulen_file_id)
                assert stored is not None
                add(zf, stored, f"notulen/v{meeting.version}_{_safe(stored.name)}")
            if meeting.notulen:
                add_bytes(
                    zf,
                    meeting.notulen.encode(),
                    f"notulen/v{meeting.version}.txt",
                    description=t("archive_minutes_text", version=meeting.version),
                )
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
