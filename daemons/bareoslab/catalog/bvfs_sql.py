"""The Bareos virtual file system (``cats/bvfs.cc``): the PathHierarchy/PathVisibility cache
of which directories each job can show, listings of directories, files and versions from
it, and the restore lists (``b2<n>`` tables) that ``.bvfs_restore`` builds and ``restore
file=?b2<n>`` reads.

Rows come back as Bareos' BVFS rows: ``(type, PathId, name, JobId, LStat, FileId)`` with
type ``D`` (directory: name is the full path), ``F`` (file) and, for versions, ``V`` with
``Md5``, ``VolumeName`` and ``InChanger`` after them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .base import SqlBase
from .driver import marks
from .errors import DatabaseError
from .rows import to_int

BvfsRow = tuple[Any, ...]
_RESTORE_TABLE = re.compile(r"b2\d+\Z")
#: the attributes of a directory no job saved
EMPTY_LSTAT = "A A A A A A A A A A A A A A"


def restore_table_ok(name: str) -> bool:
    """Only ``b2<digits>`` names: the restore list tables are made and dropped by name."""
    return bool(_RESTORE_TABLE.match(name))


def parent_dir(path: str) -> str:
    """The parent of a catalog path (``bvfs_parent_dir``): ``/a/b/`` -> ``/a/``, ``/`` -> ``""``,
    ``C:/`` -> ``""``."""
    if len(path) == 3 and path[0].isalpha() and path[1:] == ":/":
        return ""
    trimmed = path[:-1] if path.endswith("/") else path
    if not trimmed:
        return ""
    cut = trimmed.rfind("/")
    return trimmed[: cut + 1] if cut >= 0 else ""


class BvfsSql(SqlBase):
    """The bvfs cache and listings."""

    def _regex_operator(self) -> str:
        """The regular expression match of the database (SQLite: the registered REGEXP)."""
        return "~" if self.flavour == "postgresql" else "REGEXP"

    # -- the cache -----------------------------------------------------------------------
    def path_id(self, path: str) -> int | None:
        value = self._one("SELECT PathId FROM Path WHERE Path = ?", (path,))
        return None if value is None else to_int(value)

    def _create_path(self, path: str) -> int:
        self._db.execute(
            "INSERT INTO Path (Path) SELECT ? WHERE NOT EXISTS "
            "(SELECT 1 FROM Path WHERE Path = ?)",
            (path, path),
        )
        return to_int(self._one("SELECT PathId FROM Path WHERE Path = ?", (path,)))

    def bvfs_update(self, job_ids: Sequence[int] | None = None) -> bool:
        """Fill the cache for the given jobs, or for every finished backup not cached yet
        (then also drop the rows of jobs that are gone). False when a job could not be done."""
        if job_ids is None:
            rows = self._db.execute(
                "SELECT JobId FROM Job WHERE HasCache = 0 AND Type IN ('B', 'A', 'a') "
                "AND JobStatus IN ('T', 'W', 'f', 'A') ORDER BY JobId"
            ).fetchall()
            ok = all([self._cache_job(to_int(r[0])) for r in rows])
            with self._db.transaction():
                self._db.execute(
                    "DELETE FROM PathVisibility WHERE NOT EXISTS "
                    "(SELECT 1 FROM Job WHERE Job.JobId = PathVisibility.JobId)"
                )
            return ok
        return all([self._cache_job(int(j)) for j in job_ids])

    def _cache_job(self, job_id: int) -> bool:
        with self._db.transaction():
            claimed = self._db.execute(
                "UPDATE Job SET HasCache = -1 WHERE JobId = ? AND HasCache = 0", (job_id,)
            ).rowcount
            if not claimed:
                done = self._one("SELECT 1 FROM Job WHERE JobId = ? AND HasCache = 1", (job_id,))
                return done is not None  # already cached, or another update is at it
        try:
            self._fill_cache(job_id)
        except DatabaseError:
            # the claim is given back, so a later update tries again
            self._db.execute("UPDATE Job SET HasCache = 0 WHERE JobId = ? AND HasCache = -1", (job_id,))
            return False
        return True

    def _fill_cache(self, job_id: int) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO PathVisibility (PathId, JobId) SELECT DISTINCT PathId, JobId FROM "
                "(SELECT PathId, JobId FROM File WHERE JobId = ? UNION SELECT f.PathId, b.JobId "
                "FROM BaseFiles b JOIN File f ON f.FileId = b.FileId WHERE b.JobId = ?) AS B",
                (job_id, job_id),
            )
            new_paths = self._db.execute(
                "SELECT pv.PathId, p.Path FROM PathVisibility pv JOIN Path p ON p.PathId = pv.PathId "
                "LEFT JOIN PathHierarchy ph ON ph.PathId = pv.PathId "
                "WHERE pv.JobId = ? AND ph.PathId IS NULL ORDER BY p.Path",
                (job_id,),
            ).fetchall()
            known: set[int] = set()
            for path_id, path in new_paths:
                self._link_parents(to_int(path_id), str(path), known)
            # every ancestor of a visible directory is visible too
            while self._db.execute(
                "INSERT INTO PathVisibility (PathId, JobId) SELECT a.PathId, ? FROM "
                "(SELECT DISTINCT h.PPathId AS PathId FROM PathHierarchy h "
                "JOIN PathVisibility p ON h.PathId = p.PathId WHERE p.JobId = ?) a "
                "LEFT JOIN PathVisibility b ON b.JobId = ? AND a.PathId = b.PathId "
                "WHERE b.PathId IS NULL",
                (job_id, job_id, job_id),
            ).rowcount > 0:
                pass
            self._db.execute("UPDATE Job SET HasCache = 1 WHERE JobId = ?", (job_id,))

    def _link_parents(self, path_id: int, path: str, known: set[int]) -> None:
        """PathHierarchy rows from a path up to the first ancestor already linked
        (``BuildPathHierarchy``); parents missing from Path are created."""
        while path and path_id not in known:
            if self._one("SELECT PPathId FROM PathHierarchy WHERE PathId = ?", (path_id,)) is not None:
                known.add(path_id)
                return
            parent = parent_dir(path)
            parent_id = self._create_path(parent)
            known.add(path_id)
            self._db.execute(
                "INSERT INTO PathHierarchy (PathId, PPathId) VALUES (?, ?)", (path_id, parent_id)
            )
            path_id, path = parent_id, parent

    def bvfs_clear_cache(self) -> None:
        with self._db.transaction():
            self._db.execute("UPDATE Job SET HasCache = 0")
            self._db.execute("DELETE FROM PathHierarchy")
            self._db.execute("DELETE FROM PathVisibility")

    # -- listings --------------------------------------------------------------------------
    def bvfs_ls_dirs(
        self, path_id: int, job_ids: Sequence[int], pattern: str = "", limit: int = 2000, offset: int = 0
    ) -> list[BvfsRow]:
        """``.`` and ``..`` of a directory and the directories the jobs show in it, each once
        with the newest job's attributes (``bvfs_lsdirs``)."""
        ids = [int(j) for j in job_ids]
        jm = marks(len(ids))
        special = (
            "SELECT 'D' AS Type, s.PathId AS PathId, s.Path AS Path, d.JobId AS JobId, "
            "d.LStat AS LStat, d.FileId AS FileId FROM "
            "(SELECT CAST(? AS INTEGER) AS PathId, '.' AS Path UNION "
            "SELECT PPathId AS PathId, '..' AS Path FROM PathHierarchy WHERE PathId = ?) s "
            "LEFT JOIN (SELECT PathId, JobId, LStat, FileId FROM File "
            f"WHERE Name = '' AND JobId IN ({jm})) d ON s.PathId = d.PathId"
        )
        match = " AND p2.Path LIKE ?" if pattern else ""
        sub = (
            "SELECT 'D' AS Type, p1.PathId AS PathId, p1.Path AS Path, f1.JobId AS JobId, "
            "f1.LStat AS LStat, f1.FileId AS FileId FROM "
            "(SELECT DISTINCT ph.PathId AS PathId FROM PathHierarchy ph "
            "JOIN Path p2 ON ph.PathId = p2.PathId "
            "JOIN PathVisibility pv ON ph.PathId = pv.PathId "
            f"WHERE ph.PPathId = ? AND pv.JobId IN ({jm}){match} "
            # a directory the newest job recorded as deleted is not shown
            "AND ph.PathId NOT IN (SELECT d.PathId FROM (SELECT PathId, MAX(JobId) AS MaxJobId "
            f"FROM PathVisibility WHERE JobId IN ({jm}) GROUP BY PathId) d "
            "JOIN File f2 ON f2.PathId = d.PathId AND f2.JobId = d.MaxJobId "
            "AND f2.FileIndex = 0 AND f2.Name = '')) l "
            "JOIN Path p1 ON l.PathId = p1.PathId "
            "LEFT JOIN (SELECT PathId, JobId, LStat, FileId FROM File "
            f"WHERE Name = '' AND JobId IN ({jm})) f1 ON l.PathId = f1.PathId"
        )
        params: list[Any] = [path_id, path_id, *ids, path_id, *ids]
        if pattern:
            params.append(pattern)
        params += [*ids, *ids]
        rows = self._db.execute(
            f"SELECT * FROM ({special} UNION {sub}) u ORDER BY Path ASC, JobId DESC "
            f"LIMIT {int(limit)} OFFSET {int(offset)}",
            params,
        ).fetchall()
        seen: set[str] = set()
        out: list[BvfsRow] = []
        for row in rows:
            if row[2] not in seen:  # the newest job's row of each directory
                seen.add(row[2])
                out.append(tuple(row))
        return out

    def bvfs_ls_files(
        self, path_id: int, job_ids: Sequence[int], pattern: str = "", limit: int = 2000, offset: int = 0
    ) -> list[BvfsRow]:
        """The newest version of each file of a directory among the jobs (``bvfs_list_files``)."""
        ids = [int(j) for j in job_ids]
        jm = marks(len(ids))
        # Bareos matches pattern= as a regular expression; the filters sit inside the page
        match = f" AND {{name}} {self._regex_operator()} ?" if pattern else ""
        sql = (
            "SELECT 'F', t.PathId, f.Name, f.JobId, f.LStat, f.FileId FROM Job j "
            "JOIN File f ON f.JobId = j.JobId JOIN "
            "(SELECT MAX(JobTDate) AS JobTDate, PathId, Name FROM "
            "(SELECT j2.JobTDate, f3.PathId, f3.Name FROM File f3 JOIN Job j2 ON j2.JobId = f3.JobId "
            f"WHERE f3.JobId IN ({jm}) AND f3.PathId = ? AND f3.Name <> ''{match.format(name='f3.Name')} "
            "UNION ALL SELECT j3.JobTDate, f4.PathId, f4.Name FROM BaseFiles b "
            "JOIN File f4 ON f4.FileId = b.FileId JOIN Job j3 ON j3.JobId = b.BaseJobId "
            f"WHERE b.JobId IN ({jm}) AND f4.PathId = ? AND f4.Name <> ''{match.format(name='f4.Name')}) tmp "
            f"GROUP BY PathId, Name ORDER BY Name LIMIT {int(limit)} OFFSET {int(offset)}) t "
            "ON t.JobTDate = j.JobTDate AND t.PathId = f.PathId AND t.Name = f.Name "
            "WHERE f.FileIndex > 0 AND "
            f"(j.JobId IN (SELECT DISTINCT BaseJobId FROM BaseFiles WHERE JobId IN ({jm})) "
            f"OR j.JobId IN ({jm})) ORDER BY f.Name, f.JobId DESC"
        )
        params: list[Any] = [*ids, path_id, *([pattern] if pattern else []),
                             *ids, path_id, *([pattern] if pattern else []), *ids, *ids]
        rows = self._db.execute(sql, params).fetchall()
        seen: set[str] = set()
        out: list[BvfsRow] = []
        for row in rows:  # one row a name, of the newest job among those of the same time
            if row[2] not in seen:
                seen.add(row[2])
                out.append(tuple(row))
        return out

    def bvfs_versions(
        self, path_id: int, name: str, client: str, copies: bool = False, limit: int = 2000, offset: int = 0
    ) -> list[BvfsRow]:
        """Every saved version of a file of a client, with the volume it is on (``bvfs_versions``)."""
        types = ("C", "B", "A", "a") if copies else ("B", "A", "a")
        sql = (
            "SELECT 'V', f.PathId, f.Name, f.JobId, f.LStat, f.FileId, f.Md5, m.VolumeName, "
            "m.InChanger FROM File f JOIN Job j ON j.JobId = f.JobId "
            "JOIN JobMedia jm ON jm.JobId = j.JobId AND f.FileIndex >= jm.FirstIndex "
            "AND f.FileIndex <= jm.LastIndex JOIN Media m ON m.MediaId = jm.MediaId "
            "JOIN Client c ON c.ClientId = j.ClientId "
            f"WHERE f.Name = ? AND f.PathId = ? AND c.Name = ? AND j.Type IN ({marks(len(types))}) "
            f"ORDER BY f.FileId LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        return [tuple(r) for r in self._db.execute(sql, (name, path_id, client, *types)).fetchall()]

    # -- restore lists ---------------------------------------------------------------------
    def bvfs_restore(
        self,
        table: str,
        job_ids: Sequence[int],
        file_ids: Sequence[int] = (),
        dir_ids: Sequence[int] = (),
        hardlinks: Sequence[tuple[int, int]] = (),
    ) -> bool:
        """Make the restore list ``table``: the newest version of each chosen file, of
        everything under each chosen directory, and the (JobId, FileIndex) hard links."""
        if not restore_table_ok(table) or not (file_ids or dir_ids or hardlinks):
            return False
        ids = [int(j) for j in job_ids]
        parts: list[str] = []
        params: list[Any] = []
        columns = "j.JobId, j.JobTDate, f.FileIndex, f.Name, f.PathId, f.FileId"
        if file_ids:
            parts.append(
                f"SELECT {columns} FROM File f JOIN Job j ON j.JobId = f.JobId "
                f"WHERE f.FileId IN ({marks(len(file_ids))})"
            )
            params += [int(i) for i in file_ids]
        for dir_id in dir_ids:
            path = self._one("SELECT Path FROM Path WHERE PathId = ?", (int(dir_id),))
            if path is None or path == "":
                break
            parts.append(
                f"SELECT {columns} FROM Path p JOIN File f ON f.PathId = p.PathId "
                "JOIN Job j ON j.JobId = f.JobId WHERE substr(p.Path, 1, length(CAST(? AS TEXT))) = ? "
                f"AND f.JobId IN ({marks(len(ids))})"
            )
            params += [path, path, *ids]
        by_job: dict[int, list[int]] = {}
        for job_id, file_index in hardlinks:
            by_job.setdefault(int(job_id), []).append(int(file_index))
        for job_id, indexes in by_job.items():
            parts.append(
                f"SELECT {columns} FROM File f JOIN Job j ON j.JobId = f.JobId "
                f"WHERE f.JobId = ? AND f.FileIndex IN ({marks(len(indexes))})"
            )
            params += [job_id, *indexes]
        if not parts:
            return False
        temp = f"btemp{table}"
        with self._db.transaction():
            self._db.execute(f"DROP TABLE IF EXISTS {temp}")
            self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.execute(
                f"CREATE TABLE {temp} (JobId integer, JobTDate bigint, FileIndex integer, "
                "Name text, PathId integer, FileId bigint)"
            )
            self._db.execute(f"INSERT INTO {temp} {' UNION '.join(parts)}", params)
            self._db.execute(f"CREATE TABLE {table} (JobId integer, FileIndex integer, FileId bigint)")
            self._db.execute(
                f"INSERT INTO {table} SELECT f.JobId, f.FileIndex, f.FileId FROM Job j "
                "JOIN File f ON f.JobId = j.JobId JOIN "
                f"(SELECT MAX(JobTDate) AS JobTDate, PathId, Name FROM {temp} GROUP BY PathId, Name) t "
                "ON t.JobTDate = j.JobTDate AND t.PathId = f.PathId AND t.Name = f.Name "
                f"WHERE f.FileIndex > 0 AND j.JobId IN (SELECT DISTINCT JobId FROM {temp})"
            )
            self._db.execute(f"DROP TABLE {temp}")
        return True

    def bvfs_restore_list(self, table: str) -> list[tuple[int, int]] | None:
        """(JobId, FileIndex) of a restore list, None when there is no such list."""
        if not restore_table_ok(table):
            return None
        if table.lower() not in self._db.table_names():
            return None
        rows = self._db.execute(f"SELECT JobId, FileIndex FROM {table} ORDER BY JobId, FileIndex").fetchall()
        return [(to_int(r[0]), to_int(r[1])) for r in rows]

    def bvfs_cleanup(self, table: str) -> bool:
        if not restore_table_ok(table):
            return False
        with self._db.transaction():
            self._db.execute(f"DROP TABLE IF EXISTS {table}")
        return True

