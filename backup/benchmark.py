"""Measure backup and restore throughput and peak memory on a generated box (not a test).

    .venv/bin/python -m backup.benchmark --size-mb 1024 [--dir /var/tmp/bench] [--keep]

It builds a SQLite box of about the given size: 40 % database rows (audit events with
JSON details) and 60 % receipt files of random bytes, which compress as little as
scanned receipts do. Then it times, each in its own process so that the peak resident
memory (ru_maxrss from wait4) belongs to that step alone:

- ``write_archive_file`` and ``restore_archive``;
- the same machine's baseline: ``sqlite3 DB ".backup COPY"`` piped as ``tar | age -r``,
  and ``age -d | tar x`` to unpack it.

Throughput is box bytes (database file plus receipts) per second of wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

DATABASE_SHARE = 0.4
RECEIPT_BYTES = 256 * 1024
ROW_DETAILS_BYTES = 400
INSERT_BATCH = 5000


def build_box(root: Path, size_bytes: int) -> Path:
    """Create data directory, keys, migrated database, rows, receipts and identity; return the data dir."""
    from sqlalchemy import text

    from app import db, migrate
    from app.config import Settings
    from app.keys import ensure_keys
    from backup.keys import init_identity

    data_dir = root / "box"
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'trackerbox.db'}", secret_key=None)
    data_dir.mkdir(parents=True)
    ensure_keys(settings)
    init_identity(settings)
    engine = db.make_engine(settings.database_url)
    migrate.upgrade(engine)
    rows = int(size_bytes * DATABASE_SHARE) // (ROW_DETAILS_BYTES + 200)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    statement = text("INSERT INTO audit_events (created_at, user_id, login, profiles, action, object_type, object_id, "
                     "details, ip, user_agent, request_id, outcome, chain_hash) VALUES (:c, 1, 'bench', 'Worker', "
                     "'time.create', 'time_entry', :o, :d, '192.0.2.10', 'benchmark', '', 'success', :h)")
    for start in range(0, rows, INSERT_BATCH):
        batch = [{"c": now, "o": str(i), "d": json.dumps({"note": os.urandom(ROW_DETAILS_BYTES // 2).hex()}),
                  "h": os.urandom(32).hex()} for i in range(start, min(rows, start + INSERT_BATCH))]
        with engine.begin() as connection:
            connection.execute(statement, batch)
    engine.dispose()
    receipts = settings.upload_dir / "receipts"
    receipts.mkdir(parents=True)
    for index in range(int(size_bytes * (1 - DATABASE_SHARE)) // RECEIPT_BYTES):
        (receipts / f"{index:032x}.jpg").write_bytes(os.urandom(RECEIPT_BYTES))
    return data_dir


def box_bytes(data_dir: Path) -> int:
    return (data_dir / "trackerbox.db").stat().st_size + sum(
        p.stat().st_size for p in (data_dir / "uploads").rglob("*") if p.is_file())


# Linux carries a process's peak RSS across exec, so the command is started from a small
# wrapper (python -S, about 10 MiB) rather than from this process, which contains the box's data.
WAIT4_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, file=sys.stderr)
"""


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """Run ``command``; return (wall seconds, peak resident memory in KiB of it and its children)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-S", "-c", WAIT4_WRAPPER, *command], env=env,
                            stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.monotonic() - started
    code, peak_kib = result.stderr.strip().splitlines()[-1].split()
    if result.returncode != 0 or int(code) != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed with exit status {code}:\n{result.stderr}")
    return elapsed, int(peak_kib)


STEP = """
import sys
from pathlib import Path
from app.config import Settings
data_dir, step, archive, target = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'trackerbox.db'}", secret_key=None)
if step == "backup":
    from backup.archive import write_archive_file
    write_archive_file(settings, archive)
else:
    from app.keys import ensure_keys
    from backup.keys import load_identity
    from backup.restore import restore_archive
    target.mkdir()
    restored = Settings(data_dir=target, database_url=f"sqlite:///{target / 'trackerbox.db'}", secret_key=None)
    ensure_keys(restored)
    restore_archive(restored, archive, load_identity(settings))
"""


def measure(data_dir: Path, work: Path) -> dict[str, tuple[float, int]]:
    archive = work / "box.tar.age"
    env = {**os.environ, "TRACKERBOX_LOG_LEVEL": "WARNING"}
    results = {"TrackerBox backup": run_measured([sys.executable, "-c", STEP, str(data_dir), "backup", str(archive),
                                                  str(work / "restored")], env)}
    results["TrackerBox restore"] = run_measured([sys.executable, "-c", STEP, str(data_dir), "restore", str(archive),
                                                  str(work / "restored")], env)
    recipient = (data_dir / "backup_recipient.txt").read_text().strip()
    baseline = work / "baseline.tar.age"
    results["sqlite3 .backup + tar | age"] = run_measured(["bash", "-c", (
        f"set -e -o pipefail; sqlite3 '{data_dir}/trackerbox.db' \".backup '{work}/copy.db'\"; "
        f"tar -C '{work}' -cf - copy.db -C '{data_dir}' uploads | age -r {recipient} > '{baseline}'")])
    unpacked = work / "baseline-unpacked"
    unpacked.mkdir()
    results["age -d | tar x"] = run_measured(["bash", "-c", (
        f"set -e -o pipefail; age -d -i '{data_dir}/backup_identity.txt' '{baseline}' | tar -C '{unpacked}' -xf -")])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="Approximate box size in MiB (default 1024).")
    parser.add_argument("--dir", type=Path, default=None, help="Folder for the box and archives (default: a temp dir).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trackerbox-bench-", dir=args.dir))
    try:
        started = time.monotonic()
        data_dir = build_box(root, args.size_mb * 2**20)
        size = box_bytes(data_dir)
        print(f"box: {size / 2**20:.0f} MiB (database {(data_dir / 'trackerbox.db').stat().st_size / 2**20:.0f} MiB) "
              f"built in {time.monotonic() - started:.0f} s in {root}")
        print(f"{'step':32} {'seconds':>8} {'MiB/s':>8} {'peak RSS MiB':>13}")
        for step, (seconds, peak_kib) in measure(data_dir, root).items():
            print(f"{step:32} {seconds:8.1f} {size / 2**20 / seconds:8.1f} {peak_kib / 1024:13.0f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
