"""A throwaway PostgreSQL cluster for the test run, started with initdb on a free port.

When TRACKERBOX_TEST_DATABASE_URL is set, that server is used instead and nothing is
started. Run as root, the cluster belongs to the ``postgres`` system user, because
initdb refuses to run as root.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found; install the postgresql package (apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    def __init__(self, base_dir: Path):
        self.base_dir = base_dir
        self.data_dir = base_dir / "data"
        self.port = _free_port()
        self.started = False

    def start(self) -> str:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres([_binary("initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--no-sync", "--locale=C"]),
            check=True, capture_output=True,
        )
        options = f"-F -p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres([_binary("pg_ctl"), "-D", str(self.data_dir), "-o", options, "-w", "-l",
                          str(self.base_dir / "server.log"), "start"]),
            check=True, capture_output=True,
        )
        self.started = True
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.started:
            subprocess.run(_as_postgres([_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]),
                           capture_output=True)
            self.started = False


def admin_engine(server_url: str):
    return create_engine(server_url, isolation_level="AUTOCOMMIT")


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def recreate_database(engine, name: str, template: str | None = None) -> None:
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))


def drop_database(engine, name: str) -> None:
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
