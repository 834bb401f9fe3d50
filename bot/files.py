"""Content-addressed file store under DATA_DIR (docs/design-notes.md, decision 7): nothing is overwritten."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import StoredFile

ALLOWED_EXTENSIONS = {
    "pdf", "jpg", "jpeg", "png", "webp", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
    "odt", "ods", "csv", "txt", "zip",
}  # fmt: skip


class FileRejected(Exception):
    """A file the office does not accept; the message is for the sender (Indonesian)."""


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def evidence_name(code: str, original: str, is_photo: bool, day: date, n: int = 1) -> str:
    """How evidence is named where people see it: a photo after its indicator and day
    ("PEM-2_foto_2026-11-23.jpg", "…_2.jpg" for the second of the day); a document keeps
    the name its sender gave it."""
    if not is_photo:
        return original
    suffix = f"_{n}" if n > 1 else ""
    ext = extension(original) or "jpg"
    return f"{code}_foto_{day.isoformat()}{suffix}.{ext}"


class FileStore:
    def __init__(self, data_dir: Path, max_bytes: int) -> None:
        self.root = Path(data_dir) / "files"
        self.max_bytes = max_bytes

    def check(self, name: str, size: int | None) -> None:
        """Refuse a file before downloading it when its size or type is not allowed."""
        from bot.texts import t

        if size is not None and size > self.max_bytes:
            raise FileRejected(
                t(
                    "file_too_large",
                    size_mb=f"{size / 1_048_576:.1f}".replace(".", ","),
                    max_mb=self.max_bytes // 1_048_576,
                )
            )
        if extension(name) not in ALLOWED_EXTENSIONS:
            raise FileRejected(
                t("file_bad_type", name=name, allowed=", ".join(sorted(ALLOWED_EXTENSIONS)))
            )

    def path_for(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def put(
        self,
        session: Session,
        office_id: int,
        content: bytes,
        name: str,
        mime: str,
        source: str,
        now: datetime,
    ) -> StoredFile:
        """Store bytes once by SHA-256 and record this arrival (name, type, source)."""
        self.check(name, len(content))
        sha = self.write(content)
        path = self.path_for(sha)
        row = StoredFile(
            office_id=office_id,
            sha256=sha,
            path=str(path.relative_to(self.root.parent)),
            size=len(content),
            mime=mime or "application/octet-stream",
            name=name,
            source=source,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def write(self, content: bytes) -> str:
        """Keep the bytes under their SHA-256 (once; never overwritten) and return it. A
        file written but never recorded is harmless: the same bytes find it again."""
        sha = hashlib.sha256(content).hexdigest()
        path = self.path_for(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(content)
            os.replace(tmp, path)
        return sha

    def put_path(
        self, session: Session, office_id: int, src: Path, mime: str, source: str, now: datetime
    ) -> StoredFile:
        """Store a file the bot produced (a report) the same way; type limits do not apply."""
        content = src.read_bytes()
        sha = hashlib.sha256(content).hexdigest()
        path = self.path_for(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        row = StoredFile(
            office_id=office_id,
            sha256=sha,
            path=str(path.relative_to(self.root.parent)),
            size=len(content),
            mime=mime,
            name=src.name,
            source=source,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def absolute(self, row: StoredFile) -> Path:
        return self.root.parent / row.path
