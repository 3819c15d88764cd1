"""The server's data dir and SQLite files are private to the user circle runs as.

The data dir holds the keys that decrypt every stored secret and sign sessions, and the SQLite database with
its -wal and -shm files, where secret values can outlive the rows that held them. The dir is 0700 and the
files 0600 whatever the umask; SQLite gives the -wal and -shm files the mode of the database file, so the
database file is created 0600 before SQLite opens it.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _restrict(path: Path, mode: int) -> None:
    """Take group and other permissions off `path` when it has any (only when we own it)."""
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
        log.warning("%s was readable by other users (mode %o); now %o", path, stat.S_IMODE(info.st_mode), mode)
        path.chmod(mode)


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) as 0700, or make an existing one 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _restrict(path, PRIVATE_DIR)


def private_sqlite(database: Path) -> None:
    """Create the SQLite database file 0600 if missing, and make it and its side files 0600."""
    database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        if path.exists():
            _restrict(path, PRIVATE_FILE)
