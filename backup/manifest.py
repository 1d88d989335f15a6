"""The manifest of an archive: versions, counts, the audit-chain head and a checksum per member."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from backup.errors import BackupError

# Version of the archive layout. A reader refuses archives with a higher number.
FORMAT_VERSION = 1
ROOT = "trackerbox-backup"
HEADER_NAME = f"{ROOT}/backup.json"
MANIFEST_NAME = f"{ROOT}/manifest.json"
README_NAME = f"{ROOT}/README.txt"
SETTINGS_NAME = f"{ROOT}/settings.json"
DATABASE_DIR = f"{ROOT}/database"
UPLOADS_DIR = f"{ROOT}/uploads"
SECRETS_DIR = f"{ROOT}/secrets"


@dataclass
class Manifest:
    """The archive's table of contents. It is written last, so it can list every member's checksum."""

    trackerbox_version: str
    alembic_revision: str | None
    database_engine: str
    created_at: str
    include_secrets: bool
    format: int = FORMAT_VERSION
    row_counts: dict[str, int] = field(default_factory=dict)
    # Member name -> {"sha256": hex digest, "size": bytes}, for every member but the manifest.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (id, chain_hash) of the newest audit_events row in the snapshot, or None when empty.
    audit_head: dict[str, Any] | None = None
    # Upload files listed at the start but deleted before they could be read.
    missing_files: list[str] = field(default_factory=list)

    def header(self) -> dict[str, Any]:
        """Return the fields known before any data is written, stored first in the archive."""
        return {key: value for key, value in asdict(self).items()
                if key in {"format", "trackerbox_version", "alembic_revision", "database_engine",
                           "created_at", "include_secrets"}}

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8")

    @property
    def total_bytes(self) -> int:
        return sum(int(entry["size"]) for entry in self.members.values())

    @classmethod
    def from_json(cls, data: bytes, origin: str) -> Manifest:
        try:
            values = json.loads(data)
            return cls(**values)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{origin} in the archive is not a valid TrackerBox manifest ({exc}); "
                              "the archive was not made by TrackerBox or is damaged") from None


def version_tuple(version: str) -> tuple[int, ...]:
    """Turn "1.2.3" (with any suffix after the numbers ignored) into (1, 2, 3) for comparing."""
    numbers = re.findall(r"\d+", version.split("+")[0].split("-")[0])
    return tuple(int(n) for n in numbers)
