"""Files that hold what people wrote are the bot's user's alone.

The database, its -wal and -shm files and every backup contain answers and names. The
command line sets the process umask to 0o077 before anything is opened, so every folder and
file the bot (or SQLite on its behalf) creates is 0700 or 0600, whichever path an operator
chose; a umask covers files created later too (SQLite makes -wal and -shm as it goes), which a
chmod after opening would miss. A database left 0644 by an older version is tightened on start.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600


def create_private() -> None:
    """From now on, create every folder and file readable by this user only."""
    os.umask(PRIVATE_UMASK)


def tighten_database(path: Path) -> None:
    """Make an existing database and its SQLite side files readable by this user only."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # missing, or a path the start-up checks report
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE)
