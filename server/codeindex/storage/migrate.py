"""The migration runner: numbered `migrations/NNN_name.sql`, applied in order.

Each migration runs in one transaction together with its row in
`schema_version`, so a database is always at a whole version. A database
written by a newer codeindex is refused rather than guessed at.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from codeindex.errors import IndexUnusable

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class SchemaError(IndexUnusable):
    """The database cannot be used with this version of codeindex."""


class IndexDamaged(SchemaError):
    """The database file is not a database, or is corrupt."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The packaged migrations, in order (works for editable installs and wheels)."""
    folder = resources.files("codeindex").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations are not numbered 1..n without gaps: {versions}")
    return found


def latest_version() -> int:
    """The schema version this codeindex writes."""
    return len(load_migrations())


def _statements(sql: str) -> list[str]:
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
    ):
        raise SchemaError(f"incomplete SQL statement at the end of a migration: {buffer[:80]!r}")
    return statements


VACUUM_VERSION = 10  # from this schema version on, databases use auto_vacuum=INCREMENTAL


def _incremental_vacuum_from_now_on(conn: sqlite3.Connection) -> None:
    """Switch a database made before VACUUM_VERSION to auto_vacuum=INCREMENTAL (once, on the
    upgrade). That takes a VACUUM, which needs the database to itself: when another process
    is using it, it is left as it is (free pages are still reused, only not given back)."""
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 0:
        return
    try:
        conn.execute("PRAGMA busy_timeout=1000")
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
    except sqlite3.OperationalError as exc:
        log.info("index.db keeps auto_vacuum=NONE (the VACUUM that changes it failed: %s)", exc)


def current_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the database (0 for a new one)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db_path: Path) -> int:
    """Bring the database at `db_path` to the latest version; return that version."""
    migrations = load_migrations()
    latest = len(migrations)
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        found = current_version(conn)
        if found == 0 and not conn.execute("SELECT 1 FROM sqlite_master").fetchone():
            # a new database gives free pages back (`PRAGMA incremental_vacuum`, run by the
            # worker when idle); only possible before the first table exists
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        if found > latest:
            raise SchemaError(
                f"{db_path} has schema version {found}, newer than {latest} known to this "
                "codeindex: upgrade codeindex, or point CODEINDEX_DATA_DIR to another folder"
            )
        if found == latest:
            return latest
        for migration in migrations:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if current_version(conn) >= migration.version:
                    conn.execute("ROLLBACK")
                    continue
                if migration.version == 1:
                    conn.execute(
                        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                        "name TEXT NOT NULL, applied_at REAL NOT NULL)"
                    )
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time()),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        if found < VACUUM_VERSION <= latest:
            _incremental_vacuum_from_now_on(conn)
        return latest
    except sqlite3.OperationalError as exc:  # locked, unreadable, out of space: not damage
        raise SchemaError(f"{db_path} cannot be opened now ({exc}): try again") from None
    except sqlite3.DatabaseError as exc:
        raise IndexDamaged(
            f"{db_path} cannot be opened as a codeindex database ({exc}): it is damaged. "
            "`codeindex index` keeps it aside (renamed, nothing is deleted) and rebuilds the "
            "index from the files on disk"
        ) from None
    finally:
        conn.close()
