"""All catalog SQL, written once on :class:`SqlCatalog` and run through a small driver.

Only portable SQL is used here (``RETURNING``, ``ON CONFLICT``, window functions work on
SQLite >= 3.35 and PostgreSQL); what differs between engines lives in the drivers
(connection, transactions, bulk loading with COPY, table listing; ``driver.py``,
``sqlite.py``, ``postgresql.py``) or in ``queries/<name>.<flavour>.sql``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..codes import JobLevel, JobStatus, JobType
from .api import (
    SCHEMA_VERSION,
    CatalogError,
    ClientRow,
    Code,
    FileSetRow,
    JobMediaRow,
    JobRow,
    LogRow,
    MediaRow,
    MediaUpdate,
    MediaUpdateResult,
    NotFoundError,
    PoolRow,
    RestoreFile,
    SchemaExistsError,
    SchemaMissingError,
    SchemaVersionError,
    TimeLike,
    VolumeExistsError,
)
from .batch import FILE_BATCH_ROWS, SqlFileBatch
from .driver import Driver, code, codes, marks, plain_value, query_text, resource
from .rows import CLIENT, FILESET, JOB, JOBMEDIA, LOG, MEDIA, POOL, to_int
from .selection import JobSelector
from .times import db_time, epoch, local_datetime
from .times import now as _now

VOL_STATUSES = (
    "Unlabeled", "Full", "Archive", "Append", "Recycle", "Purged", "Read-Only",
    "Disabled", "Error", "Busy", "Used", "Cleaning", "Scratch",
)  # fmt: skip
POOL_TYPES = ("Backup", "Copy", "Cloned", "Archive", "Migration", "Scratch")

TABLES = frozenset(
    name.lower()
    for name in (
        "Job", "JobHisto", "JobMedia", "Media", "Pool", "Client", "FileSet", "Storage",
        "MediaType", "Device", "Path", "File", "Log", "RestoreObject", "BaseFiles",
        "PathHierarchy", "PathVisibility", "Location", "LocationLog", "Counters", "Quota",
        "NDMPLevelMap", "NDMPJobEnvironment", "DeviceStats", "JobStats", "TapeAlerts",
        "Status", "Version",
    )
)  # fmt: skip
"""Every table of the schema (lower case, as PostgreSQL reports them)."""

FLAVOURS = {"sqlite3": "sqlite", "postgresql": "postgresql"}
"""Driver name -> file name part of its schema (``schema/<flavour>.sql``) and queries."""

UPGRADES: dict[tuple[str, int], tuple[int, str]] = {
    ("postgresql", 2240): (2250, "postgresql.2240_2250.sql"),
}
"""(flavour, from version) -> (to version, script in ``schema/``)."""


OK_STATUSES = (JobStatus.TERMINATED.value, JobStatus.WARNINGS.value)

# legal characters of a simple Label Format (Bareos IsVolumeNameLegal)
_LEGAL_VOLUME_NAME = re.compile(r"[A-Za-z0-9:._\-]+")


class SqlCatalog:
    """The :class:`~bareoslab.catalog.api.Catalog` implementation for every driver."""

    def __init__(self, db: Driver) -> None:
        self._db = db
        self.driver = db.name
        self.flavour = FLAVOURS[db.name]

    # ------------------------------------------------------------------ helpers

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _named(self, name: str, **slots: str) -> str:
        return query_text(name, self.flavour, **slots)

    def close(self) -> None:
        self._db.close()

    def describe(self) -> str:
        return self._db.describe()

    def __enter__(self) -> SqlCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ schema

    def is_empty(self) -> bool:
        """True when the database holds no table at all (a new catalog)."""
        return not self._db.table_names()

    def schema_exists(self) -> bool:
        return "version" in self._db.table_names()

    def create_schema(self) -> None:
        if self.schema_exists():
            raise SchemaExistsError(
                f"catalog schema already exists in {self.describe()} "
                f"(version {self._one('SELECT MAX(VersionId) FROM Version')})"
            )
        script = resource(f"schema/{self.flavour}.sql") + "\n" + resource("schema/data.sql")
        self._db.run_script(script)

    def schema_version(self) -> int:
        if not self.schema_exists():
            raise SchemaMissingError(f"no catalog schema in {self.describe()}")
        version = self._one("SELECT MAX(VersionId) FROM Version")
        if version is None:
            raise SchemaVersionError(f"catalog in {self.describe()} has an empty Version table")
        return int(version)

    def upgrade_schema(self) -> tuple[int, int]:
        start = version = self.schema_version()
        while version != SCHEMA_VERSION:
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"catalog schema version {version} is newer than {SCHEMA_VERSION}, "
                    "the version this program supports"
                )
            step = UPGRADES.get((self.flavour, version))
            if step is None:
                raise SchemaVersionError(
                    f"cannot upgrade the {self.driver} catalog schema from version {version}: "
                    f"no upgrade path to {SCHEMA_VERSION}"
                )
            self._db.run_script(resource(f"schema/{step[1]}"))
            version = self.schema_version()
        return start, version

    def check(self) -> int:
        version = self.schema_version()
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"catalog schema version is {version}, this program needs {SCHEMA_VERSION}; "
                "run 'bareoslab-catalog upgrade'"
            )
        missing = TABLES - self._db.table_names()
        if missing:
            raise SchemaMissingError(
                f"catalog schema in {self.describe()} lacks tables: {', '.join(sorted(missing))}"
            )
        return version

    # ------------------------------------------------------------------ pools

    _POOL_CONFIG_FIELDS = (
        "pool_type", "label_format", "max_vols", "use_once", "use_catalog", "accept_any_volume",
        "vol_retention", "vol_use_duration", "max_vol_jobs", "max_vol_files", "max_vol_bytes",
        "auto_prune", "recycle", "action_on_purge", "label_type", "scratch_pool_id",
        "recycle_pool_id", "min_block_size", "max_block_size", "migration_high_bytes",
        "migration_low_bytes", "migration_time",
    )  # fmt: skip

    def sync_pool(self, pool: PoolRow) -> int:
        if pool.pool_type not in POOL_TYPES:
            raise CatalogError(f"invalid Pool Type {pool.pool_type!r} for pool {pool.name!r}")
        values = {f: getattr(pool, f) for f in self._POOL_CONFIG_FIELDS}
        values["label_format"] = pool.label_format or "*"
        cols = [POOL.column(f) for f in values]
        params = [int(v) if isinstance(v, bool) else v for v in values.values()]
        with self._db.transaction():
            pool_id = self.pool_id(pool.name)
            if pool_id is None:
                cols += ["Name", "Enabled", "NextPoolId"]
                params += [pool.name, int(pool.enabled), 0]
                pool_id = to_int(
                    self._one(
                        f"INSERT INTO Pool ({', '.join(cols)}) VALUES ({marks(len(cols))}) "
                        "RETURNING PoolId",
                        params,
                    )
                )
            else:
                sets = ", ".join(f"{c} = ?" for c in cols)
                self._db.execute(f"UPDATE Pool SET {sets} WHERE PoolId = ?", [*params, pool_id])
            self._update_num_vols(pool_id)
        return pool_id

    def _update_num_vols(self, pool_id: int) -> None:
        self._db.execute(
            "UPDATE Pool SET NumVols = (SELECT count(*) FROM Media WHERE Media.PoolId = ?) "
            "WHERE PoolId = ?",
            (pool_id, pool_id),
        )

    def get_pool(self, name_or_id: str | int) -> PoolRow | None:
        key = "PoolId" if isinstance(name_or_id, int) else "Name"
        row = self._db.execute(
            f"SELECT {POOL.select} FROM Pool WHERE {key} = ? ORDER BY PoolId LIMIT 1", (name_or_id,)
        ).fetchone()
        return None if row is None else POOL.row(row)

    def pool_id(self, name: str) -> int | None:
        value = self._one("SELECT PoolId FROM Pool WHERE Name = ? ORDER BY PoolId LIMIT 1", (name,))
        return None if value is None else int(value)

    # ------------------------------------------------------------------ clients, storages, filesets

    def get_or_create_client(
        self,
        name: str,
        uname: str = "",
        *,
        auto_prune: int | None = None,
        file_retention: int | None = None,
        job_retention: int | None = None,
    ) -> int:
        with self._db.transaction():
            client_id = self.client_id(name)
            if client_id is not None:
                self._db.execute(
                    "UPDATE Client SET AutoPrune = COALESCE(?, AutoPrune), "
                    "FileRetention = COALESCE(?, FileRetention), "
                    "JobRetention = COALESCE(?, JobRetention), "
                    "UName = CASE WHEN ? = '' THEN UName ELSE ? END WHERE ClientId = ?",
                    (
                        None if auto_prune is None else int(auto_prune),
                        file_retention, job_retention, uname, uname, client_id,
                    ),
                )  # fmt: skip
                return client_id
            value = self._one(
                "INSERT INTO Client (Name, UName, AutoPrune, FileRetention, JobRetention) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (Name) DO NOTHING RETURNING ClientId",
                (name, uname, int(auto_prune or 0), file_retention or 0, job_retention or 0),
            )
        return int(value) if value is not None else int(self.client_id(name) or 0)

    def update_client_uname(self, client_id: int, uname: str) -> None:
        self._db.execute("UPDATE Client SET UName = ? WHERE ClientId = ?", (uname, client_id))

    def get_client(self, name_or_id: str | int) -> ClientRow | None:
        key = "ClientId" if isinstance(name_or_id, int) else "Name"
        row = self._db.execute(
            f"SELECT {CLIENT.select} FROM Client WHERE {key} = ?", (name_or_id,)
        ).fetchone()
        return None if row is None else CLIENT.row(row)

    def client_id(self, name: str) -> int | None:
        value = self._one("SELECT ClientId FROM Client WHERE Name = ?", (name,))
        return None if value is None else int(value)

    def get_or_create_storage(self, name: str, autochanger: int | None = None) -> int:
        with self._db.transaction():
            row = self._db.execute(
                "SELECT StorageId, AutoChanger FROM Storage WHERE Name = ? ORDER BY StorageId LIMIT 1",
                (name,),
            ).fetchone()
            if row is not None:
                if autochanger is not None and to_int(row[1]) != int(autochanger):
                    self._db.execute(
                        "UPDATE Storage SET AutoChanger = ? WHERE StorageId = ?",
                        (int(autochanger), row[0]),
                    )
                return int(row[0])
            return to_int(
                self._one(
                    "INSERT INTO Storage (Name, AutoChanger) VALUES (?, ?) RETURNING StorageId",
                    (name, int(autochanger or 0)),
                )
            )

    def get_or_create_media_type(self, name: str) -> int:
        with self._db.transaction():
            value = self._one(
                "SELECT MediaTypeId FROM MediaType WHERE MediaType = ? ORDER BY MediaTypeId LIMIT 1",
                (name,),
            )
            if value is not None:
                return int(value)
            return to_int(
                self._one(
                    "INSERT INTO MediaType (MediaType, ReadOnly) VALUES (?, 0) RETURNING MediaTypeId",
                    (name,),
                )
            )

    def get_or_create_fileset(
        self, name: str, md5: str, text: str = "", create_time: TimeLike | None = None
    ) -> int:
        with self._db.transaction():
            value = self._one(
                "SELECT FileSetId FROM FileSet WHERE FileSet = ? AND Md5 = ? ORDER BY FileSetId LIMIT 1",
                (name, md5),
            )
            if value is not None:
                if text:
                    self._db.execute(
                        "UPDATE FileSet SET FileSetText = ? WHERE FileSetId = ?", (text, value)
                    )
                return int(value)
            return to_int(
                self._one(
                    "INSERT INTO FileSet (FileSet, Md5, FileSetText, CreateTime) "
                    "VALUES (?, ?, ?, ?) RETURNING FileSetId",
                    (name, md5, text, db_time(create_time if create_time is not None else _now())),
                )
            )

    def get_fileset(self, fileset_id: int) -> FileSetRow | None:
        row = self._db.execute(
            f"SELECT {FILESET.select} FROM FileSet WHERE FileSetId = ?", (fileset_id,)
        ).fetchone()
        return None if row is None else FILESET.row(row)

    # ------------------------------------------------------------------ jobs

    def create_job(
        self,
        job: str,
        name: str,
        type: Code,
        level: Code,
        status: Code = JobStatus.CREATED,
        sched_time: TimeLike | None = None,
        client_id: int = 0,
        comment: str = "",
        *,
        pool_id: int = 0,
        fileset_id: int = 0,
        prior_job_id: int = 0,
    ) -> int:
        sched = local_datetime(sched_time if sched_time is not None else _now())
        return to_int(
            self._one(
                "INSERT INTO Job (Job, Name, Type, Level, JobStatus, SchedTime, JobTDate, "
                "ClientId, Comment, PoolId, FileSetId, PriorJobId) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING JobId",
                (
                    job, name, code(type), code(level), code(status), db_time(sched),
                    epoch(sched), client_id, comment, pool_id, fileset_id, prior_job_id,
                ),
            )
        )  # fmt: skip

    def _update_job(self, job_id: int, sql: str, params: Sequence[Any]) -> None:
        if self._db.execute(sql, [*params, job_id]).rowcount == 0:
            raise NotFoundError(f"no Job record with JobId {job_id}")

    def update_job_start(
        self,
        job_id: int,
        status: Code,
        level: Code,
        start_time: TimeLike,
        client_id: int,
        pool_id: int,
        fileset_id: int,
        vol_session_id: int = 0,
        vol_session_time: int = 0,
    ) -> None:
        start = local_datetime(start_time)
        self._update_job(
            job_id,
            "UPDATE Job SET JobStatus = ?, Level = ?, StartTime = ?, ClientId = ?, JobTDate = ?, "
            "PoolId = ?, FileSetId = ?, VolSessionId = ?, VolSessionTime = ? WHERE JobId = ?",
            (
                code(status), code(level), db_time(start), client_id, epoch(start), pool_id,
                fileset_id, vol_session_id, vol_session_time,
            ),
        )  # fmt: skip

    def update_job_status(self, job_id: int, status: Code) -> None:
        self._update_job(job_id, "UPDATE Job SET JobStatus = ? WHERE JobId = ?", (code(status),))

    def update_job_end(
        self,
        job_id: int,
        status: Code,
        level: Code,
        end_time: TimeLike,
        job_files: int,
        job_bytes: int,
        read_bytes: int = 0,
        job_errors: int = 0,
        vol_session_id: int = 0,
        vol_session_time: int = 0,
        pool_id: int = 0,
        fileset_id: int = 0,
        prior_job_id: int = 0,
        purged_files: int = 0,
        *,
        client_id: int | None = None,
        real_end_time: TimeLike | None = None,
        has_base: int = 0,
    ) -> None:
        end = local_datetime(end_time)
        real = local_datetime(real_end_time) if real_end_time is not None else end
        real = max(real, end)
        self._update_job(
            job_id,
            "UPDATE Job SET JobStatus = ?, Level = ?, EndTime = ?, ClientId = COALESCE(?, ClientId), "
            "JobBytes = ?, ReadBytes = ?, JobFiles = ?, JobErrors = ?, VolSessionId = ?, "
            "VolSessionTime = ?, PoolId = ?, FileSetId = ?, JobTDate = ?, RealEndTime = ?, "
            "PriorJobId = ?, HasBase = ?, PurgedFiles = ? WHERE JobId = ?",
            (
                code(status), code(level), db_time(end), client_id, job_bytes, read_bytes,
                job_files, job_errors, vol_session_id, vol_session_time, pool_id, fileset_id,
                epoch(real), db_time(real), prior_job_id, has_base, purged_files,
            ),
        )  # fmt: skip

    def update_job_running(self, job_id: int, job_files: int, job_bytes: int) -> None:
        self._update_job(
            job_id,
            "UPDATE Job SET JobFiles = ?, JobBytes = ? WHERE JobId = ?",
            (job_files, job_bytes),
        )

    def get_job(self, job_id: int) -> JobRow | None:
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE JobId = ?", (job_id,)
        ).fetchone()
        return None if row is None else JOB.row(row)

    def get_job_by_name(self, job: str) -> JobRow | None:
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE Job = ? ORDER BY JobId DESC LIMIT 1", (job,)
        ).fetchone()
        return None if row is None else JOB.row(row)

    def find_last_job_for_level(
        self,
        name: str,
        client_id: int,
        fileset_id: int,
        levels: Code | Iterable[Code],
        *,
        job_type: Code = JobType.BACKUP,
    ) -> JobRow | None:
        wanted = codes(levels)
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE JobStatus IN (?, ?) AND Type = ? "
            f"AND Level IN ({marks(len(wanted))}) AND Name = ? AND ClientId = ? AND FileSetId = ? "
            "ORDER BY StartTime DESC, JobId DESC LIMIT 1",
            (*OK_STATUSES, code(job_type), *wanted, name, client_id, fileset_id),
        ).fetchone()
        return None if row is None else JOB.row(row)

    def find_since_job(
        self, name: str, client_id: int, fileset_id: int, level: Code
    ) -> JobRow | None:
        full = self.find_last_job_for_level(name, client_id, fileset_id, JobLevel.FULL)
        wanted = code(level)
        if full is None or wanted == JobLevel.DIFFERENTIAL:
            return full
        if wanted != JobLevel.INCREMENTAL:
            raise CatalogError(f"no since-time for level {wanted!r}")
        return self.find_last_job_for_level(
            name,
            client_id,
            fileset_id,
            (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL, JobLevel.FULL),
        )

    def list_jobs(
        self,
        *,
        job_ids: Iterable[int] | None = None,
        name: str | None = None,
        client_id: int | None = None,
        pool_id: int | None = None,
        type: Code | None = None,
        level: Code | None = None,
        status: Code | Iterable[Code] | None = None,
        volume_name: str | None = None,
        limit: int | None = None,
    ) -> list[JobRow]:
        where: list[str] = []
        params: list[Any] = []
        if job_ids is not None:
            ids = list(job_ids)
            where.append(f"JobId IN ({marks(len(ids))})")
            params += ids
        for column, value in (("Name", name), ("ClientId", client_id), ("PoolId", pool_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if type is not None:
            where.append("Type = ?")
            params.append(code(type))
        if level is not None:
            where.append("Level = ?")
            params.append(code(level))
        if status is not None:
            wanted = codes(status)
            where.append(f"JobStatus IN ({marks(len(wanted))})")
            params += wanted
        if volume_name is not None:
            where.append(
                "JobId IN (SELECT JobMedia.JobId FROM JobMedia JOIN Media "
                "ON Media.MediaId = JobMedia.MediaId WHERE Media.VolumeName = ?)"
            )
            params.append(volume_name)
        sql = f"SELECT {JOB.select} FROM Job"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if limit is not None:
            sql += " ORDER BY JobId DESC LIMIT ?"
            params.append(int(limit))
            rows = [JOB.row(r) for r in self._db.execute(sql, params).fetchall()]
            return rows[::-1]
        return [JOB.row(r) for r in self._db.execute(sql + " ORDER BY JobId", params).fetchall()]

    def last_job_id(self) -> int:
        row = self._db.execute("SELECT last_value, is_called FROM job_jobid_seq").fetchone()
        return to_int(row[0]) if row is not None and row[1] else 0

    # ------------------------------------------------------------------ copy / migrate

    def set_job_type(self, job_id: int, type: Code) -> None:
        self._update_job(job_id, "UPDATE Job SET Type = ? WHERE JobId = ?", (code(type),))

    def set_prior_job_id(self, job_id: int, prior_job_id: int) -> None:
        self._update_job(job_id, "UPDATE Job SET PriorJobId = ? WHERE JobId = ?", (prior_job_id,))

    def copy_job_times(self, to_job_id: int, from_job_id: int) -> None:
        source = self.get_job(from_job_id)
        if source is None:
            raise NotFoundError(f"no Job record with JobId {from_job_id}")
        self._update_job(
            to_job_id,
            "UPDATE Job SET StartTime = ?, EndTime = ?, JobTDate = ? WHERE JobId = ?",
            (db_time(source.start_time), db_time(source.end_time), source.job_tdate),
        )

    def copy_log(self, from_job_id: int, to_job_id: int) -> int:
        return self._db.execute(
            "INSERT INTO Log (JobId, Time, LogText) SELECT ?, Time, LogText FROM Log "
            "WHERE JobId = ? ORDER BY LogId",
            (to_job_id, from_job_id),
        ).rowcount

    def move_log(self, from_job_id: int, to_job_id: int) -> int:
        return self._db.execute(
            "UPDATE Log SET JobId = ? WHERE JobId = ?", (to_job_id, from_job_id)
        ).rowcount

    def purge_files(self, job_id: int) -> int:
        with self._db.transaction():
            deleted = self._db.execute("DELETE FROM File WHERE JobId = ?", (job_id,)).rowcount
            self._db.execute("DELETE FROM BaseFiles WHERE JobId = ?", (job_id,))
            self._db.execute("UPDATE Job SET PurgedFiles = 1 WHERE JobId = ?", (job_id,))
        return deleted

    def select_copy_migrate_jobs(
        self,
        selection_type: str,
        pool_id: int,
        pattern: str = "",
        *,
        now: TimeLike | None = None,
        migration_time: int = 0,
        migration_high_bytes: int = 0,
        migration_low_bytes: int = 0,
    ) -> list[int]:
        return JobSelector(self._db, self.flavour).select(
            selection_type,
            pool_id,
            pattern,
            now=now,
            migration_time=migration_time,
            migration_high_bytes=migration_high_bytes,
            migration_low_bytes=migration_low_bytes,
        )

    # ------------------------------------------------------------------ purge / prune

    _PURGED_TABLES = (
        "File", "BaseFiles", "JobMedia", "Log", "RestoreObject", "PathVisibility",
        "NDMPJobEnvironment", "JobStats",
    )  # fmt: skip

    def purge_jobs(self, job_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in job_ids})
        if not ids:
            return
        inlist = marks(len(ids))
        with self._db.transaction():
            for table in self._PURGED_TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE JobId IN ({inlist})", ids)
            # upgrade the oldest copy of each purged backup (Bareos UpgradeCopies)
            upgraded = [
                to_int(r[0])
                for r in self._db.execute(
                    "SELECT MIN(JobId) FROM Job WHERE Type = ? AND (PriorJobId IN "
                    f"({inlist}) OR PriorJobId IN (SELECT PriorJobId FROM Job "
                    f"WHERE JobId IN ({inlist}) AND Type = ?)) GROUP BY PriorJobId",
                    (JobType.JOB_COPY.value, *ids, *ids, JobType.BACKUP.value),
                ).fetchall()
            ]
            if upgraded:
                up = marks(len(upgraded))
                self._db.execute(
                    f"UPDATE Job SET Type = ? WHERE JobId IN ({up})",
                    (JobType.BACKUP.value, *upgraded),
                )
                self._db.execute(
                    f"DELETE FROM Job WHERE Type = ? AND PriorJobId IN ({up})",
                    (JobType.COPY.value, *upgraded),
                )
            self._db.execute(f"DELETE FROM Job WHERE JobId IN ({inlist})", ids)

    def prune_volume_candidates(self, media_id: int, now: TimeLike | None = None) -> list[int]:
        media = self.get_media(media_id)
        if media is None:
            raise NotFoundError(f"no Media record with MediaId {media_id}")
        limit = epoch(now if now is not None else _now()) - media.vol_retention
        jobs = [
            to_int(r[0])
            for r in self._db.execute(
                "SELECT DISTINCT JobMedia.JobId FROM JobMedia JOIN Job ON Job.JobId = JobMedia.JobId "
                "WHERE JobMedia.MediaId = ? AND Job.JobTDate < ?",
                (media_id, limit),
            ).fetchall()
        ]
        if jobs:
            jobs += [
                to_int(r[0])
                for r in self._db.execute(
                    f"SELECT JobId FROM Job WHERE Type IN (?, ?) AND PriorJobId IN ({marks(len(jobs))})",
                    (JobType.COPY.value, JobType.MIGRATE.value, *jobs),
                ).fetchall()
            ]
        return sorted(set(jobs))

    def jobs_older_than(
        self, job_tdate: int, *, client_id: int | None = None, pool_id: int | None = None
    ) -> list[JobRow]:
        sql = f"SELECT {JOB.select} FROM Job WHERE Type <> ? AND JobTDate < ?"
        params: list[Any] = [JobType.ARCHIVE.value, job_tdate]
        for column, value in (("ClientId", client_id), ("PoolId", pool_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [JOB.row(r) for r in self._db.execute(f"{sql} ORDER BY JobId", params).fetchall()]

    def job_ids_on_volume(self, media_id: int) -> list[int]:
        rows = self._db.execute(
            "SELECT DISTINCT JobId FROM JobMedia WHERE MediaId = ? ORDER BY JobId", (media_id,)
        ).fetchall()
        return [to_int(r[0]) for r in rows]

    def mark_volume_purged_if_empty(self, media_id: int) -> bool:
        with self._db.transaction():
            if (
                self._one("SELECT 1 FROM JobMedia WHERE MediaId = ? LIMIT 1", (media_id,))
                is not None
            ):
                return False
            self._db.execute(
                "UPDATE Media SET VolStatus = 'Purged' WHERE MediaId = ? "
                "AND VolStatus IN ('Append', 'Full', 'Used', 'Error')",
                (media_id,),
            )
            return bool(
                self._one("SELECT VolStatus FROM Media WHERE MediaId = ?", (media_id,)) == "Purged"
            )

    # ------------------------------------------------------------------ log

    def log(self, job_id: int, time: TimeLike, text: str) -> None:
        self._db.execute(
            "INSERT INTO Log (JobId, Time, LogText) VALUES (?, ?, ?)", (job_id, db_time(time), text)
        )

    def job_log(self, job_id: int) -> list[LogRow]:
        rows = self._db.execute(
            f"SELECT {LOG.select} FROM Log WHERE JobId = ? ORDER BY LogId", (job_id,)
        ).fetchall()
        return [LOG.row(r) for r in rows]

    # ------------------------------------------------------------------ media

    _POOL_MEDIA_DEFAULTS = (
        "recycle", "vol_retention", "vol_use_duration", "max_vol_jobs", "max_vol_files",
        "max_vol_bytes", "action_on_purge", "recycle_pool_id", "scratch_pool_id",
        "min_block_size", "max_block_size",
    )  # fmt: skip

    def create_media(self, media: MediaRow, *, pool_defaults: bool = True) -> int:
        values = {f: getattr(media, f) for f in MEDIA.fields if f != "media_id"}
        with self._db.transaction():
            if self._one("SELECT MediaId FROM Media WHERE VolumeName = ?", (media.volume_name,)):
                raise VolumeExistsError(f'Volume "{media.volume_name}" already exists.')
            if pool_defaults:
                pool = self.get_pool(media.pool_id)
                if pool is None:
                    raise NotFoundError(f"no Pool record with PoolId {media.pool_id}")
                values.update({f: getattr(pool, f) for f in self._POOL_MEDIA_DEFAULTS})
            if not values["vol_status"]:
                values["vol_status"] = "Append" if media.vol_bytes > 0 else "Unlabeled"
            self._check_vol_status(values["vol_status"])
            if media.slot > 0:
                values["in_changer"] = 1
            cols = [MEDIA.column(f) for f in values]
            params = [db_time(v) if MEDIA.is_time(f) else v for f, v in values.items()]
            params = [int(v) if isinstance(v, bool) else v for v in params]
            media_id = to_int(
                self._one(
                    f"INSERT INTO Media ({', '.join(cols)}) VALUES ({marks(len(cols))}) "
                    "RETURNING MediaId",
                    params,
                )
            )
            self._make_inchanger_unique(
                media_id, values["slot"], values["in_changer"], values["storage_id"]
            )
            self._update_num_vols(media.pool_id)
        return media_id

    @staticmethod
    def _check_vol_status(status: str) -> None:
        if status not in VOL_STATUSES:
            raise CatalogError(f"invalid VolStatus {status!r}; one of {', '.join(VOL_STATUSES)}")

    def _make_inchanger_unique(
        self, media_id: int, slot: int, in_changer: int, storage_id: int
    ) -> None:
        if in_changer and slot > 0:
            self._db.execute(
                "UPDATE Media SET InChanger = 0 WHERE Slot = ? AND StorageId = ? AND MediaId <> ?",
                (slot, storage_id, media_id),
            )

    def get_media(self, name_or_id: str | int) -> MediaRow | None:
        key = "MediaId" if isinstance(name_or_id, int) else "VolumeName"
        row = self._db.execute(
            f"SELECT {MEDIA.select} FROM Media WHERE {key} = ?", (name_or_id,)
        ).fetchone()
        return None if row is None else MEDIA.row(row)

    def list_media(self, pool_id: int | None = None) -> list[MediaRow]:
        if pool_id is None:
            rows = self._db.execute(f"SELECT {MEDIA.select} FROM Media ORDER BY MediaId").fetchall()
        else:
            rows = self._db.execute(
                f"SELECT {MEDIA.select} FROM Media WHERE PoolId = ? ORDER BY MediaId", (pool_id,)
            ).fetchall()
        return [MEDIA.row(r) for r in rows]

    _NEXT_VOLUME_ORDER = {
        # most recently written first (Bareos sql_media_order_most_recently_written)
        "Append": "ORDER BY LastWritten IS NULL, LastWritten DESC, MediaId",
        "Unlabeled": "ORDER BY LastWritten IS NULL, LastWritten DESC, MediaId",
        # oldest first, only recyclable volumes
        "Recycle": "AND Recycle = 1 ORDER BY LastWritten IS NULL, LastWritten, MediaId",
        "Purged": "AND Recycle = 1 ORDER BY LastWritten IS NULL, LastWritten, MediaId",
    }

    def find_next_volume(
        self,
        pool_id: int,
        media_type: str,
        unwanted: Sequence[str] = (),
        *,
        storage_id: int | None = None,
        recycle: bool = True,
    ) -> MediaRow | None:
        passes: list[int | None] = [storage_id, None] if storage_id is not None else [None]
        for changer in passes:
            for status, order in self._NEXT_VOLUME_ORDER.items():
                sql = (
                    f"SELECT {MEDIA.select} FROM Media WHERE PoolId = ? AND MediaType = ? "
                    "AND Enabled = 1 AND VolStatus = ?"
                )
                params: list[Any] = [pool_id, media_type, status]
                if changer is not None:
                    sql += " AND InChanger = 1 AND StorageId = ?"
                    params.append(changer)
                for row in self._db.execute(f"{sql} {order}", params).fetchall():
                    media = MEDIA.row(row)
                    if media.volume_name in unwanted:
                        continue
                    if status == "Purged" and recycle:
                        return self.recycle_volume(media.media_id)
                    return media
        return None

    def recycle_volume(self, media_id: int) -> MediaRow:
        updated = self._db.execute(
            "UPDATE Media SET VolStatus = 'Recycle', VolJobs = 0, VolFiles = 0, VolBlocks = 0, "
            "VolErrors = 0, VolBytes = 1, FirstWritten = NULL, LastWritten = NULL, "
            "RecycleCount = RecycleCount + 1 WHERE MediaId = ?",
            (media_id,),
        ).rowcount
        media = self.get_media(media_id)
        if not updated or media is None:
            raise NotFoundError(f"no Media record with MediaId {media_id}")
        return media

    def next_volume_name(self, label_format: str) -> str | None:
        if not label_format or label_format == "*":
            return None
        if not _LEGAL_VOLUME_NAME.fullmatch(label_format):
            raise CatalogError(
                f"Label Format {label_format!r} uses variables; only plain text "
                "(letters, digits, ':', '.', '-', '_') is numbered by the catalog"
            )
        highest = to_int(self._one("SELECT MAX(MediaId) FROM Media"))
        for number in range(highest + 1, highest + 100):
            name = f"{label_format}{number:04d}"
            if self._one("SELECT 1 FROM Media WHERE VolumeName = ?", (name,)) is None:
                return name
        return None

    def update_media_from_sd(
        self,
        update: MediaUpdate,
        *,
        job_start_time: TimeLike | None = None,
        write_storage_id: int | None = None,
    ) -> MediaUpdateResult:
        started = local_datetime(job_start_time if job_start_time is not None else _now())
        with self._db.transaction():
            media = self.get_media(update.volume_name)
            if media is None:
                raise NotFoundError(f'Volume "{update.volume_name}" not in catalog.')
            messages: list[str] = []
            vol_files, vol_blocks, vol_bytes = update.vol_files, update.vol_blocks, update.vol_bytes
            if media.first_written is None:
                media.first_written = (
                    local_datetime(update.first_written) if update.first_written else started
                )
            if update.relabel or media.label_date is None:
                media.label_date = started
                if media.initial_write is None:
                    media.initial_write = started
            else:
                if vol_files < media.vol_files:
                    messages.append(
                        f"Ignoring Volume Files at {media.vol_files} being set to {vol_files}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_files, vol_blocks = media.vol_files, media.vol_blocks
                elif vol_files == media.vol_files and vol_blocks < media.vol_blocks:
                    messages.append(
                        f"Ignoring Volume Blocks at {media.vol_blocks} being set to {vol_blocks}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_blocks = media.vol_blocks
                if vol_bytes < media.vol_bytes:
                    messages.append(
                        f"Ignoring Volume Bytes at {media.vol_bytes} being set to {vol_bytes}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_bytes = media.vol_bytes
            if media.vol_blocks != vol_blocks and update.last_written:
                media.last_written = local_datetime(update.last_written)
            if write_storage_id and update.vol_writes > media.vol_writes:
                media.storage_id = write_storage_id
            self._check_vol_status(update.vol_status)
            media.vol_jobs = update.vol_jobs
            media.vol_files = vol_files
            media.vol_blocks = vol_blocks
            media.vol_bytes = vol_bytes
            media.vol_mounts = update.vol_mounts
            media.vol_errors = update.vol_errors
            media.vol_writes = update.vol_writes
            media.slot = update.slot
            media.in_changer = update.in_changer
            media.vol_status = update.vol_status
            media.vol_read_time = update.vol_read_time
            media.vol_write_time = update.vol_write_time
            self._db.execute(
                "UPDATE Media SET FirstWritten = ?, LabelDate = ?, InitialWrite = ?, LastWritten = ?, "
                "VolJobs = ?, VolFiles = ?, VolBlocks = ?, VolBytes = ?, VolMounts = ?, "
                "VolErrors = ?, VolWrites = ?, Slot = ?, InChanger = ?, VolStatus = ?, "
                "VolReadTime = ?, VolWriteTime = ?, StorageId = ? WHERE MediaId = ?",
                (
                    db_time(media.first_written), db_time(media.label_date),
                    db_time(media.initial_write), db_time(media.last_written), media.vol_jobs,
                    media.vol_files, media.vol_blocks, media.vol_bytes, media.vol_mounts,
                    media.vol_errors, media.vol_writes, media.slot, media.in_changer,
                    media.vol_status, media.vol_read_time, media.vol_write_time,
                    media.storage_id, media.media_id,
                ),
            )  # fmt: skip
            self._make_inchanger_unique(
                media.media_id, media.slot, media.in_changer, media.storage_id
            )
        return MediaUpdateResult(media=media, messages=messages)

    def update_media_status(self, name: str, status: str) -> None:
        self.update_media(name, vol_status=status)

    def update_media(self, name: str, **columns: Any) -> None:
        if not columns:
            return
        if "vol_status" in columns:
            self._check_vol_status(columns["vol_status"])
        sets = ", ".join(f"{MEDIA.column(f)} = ?" for f in columns)
        params = [db_time(v) if MEDIA.is_time(f) else v for f, v in columns.items()]
        with self._db.transaction():
            pools = self._db.execute(
                "SELECT PoolId FROM Media WHERE VolumeName = ?", (name,)
            ).fetchone()
            if pools is None:
                raise NotFoundError(f'Volume "{name}" not in catalog.')
            self._db.execute(f"UPDATE Media SET {sets} WHERE VolumeName = ?", [*params, name])
            if "pool_id" in columns:
                self._update_num_vols(to_int(pools[0]))
                self._update_num_vols(int(columns["pool_id"]))

    def create_jobmedia(
        self,
        job_id: int,
        media_id: int,
        first_index: int,
        last_index: int,
        start_file: int,
        end_file: int,
        start_block: int,
        end_block: int,
        job_bytes: int = 0,
    ) -> int:
        with self._db.transaction():
            count = to_int(self._one("SELECT count(*) FROM JobMedia WHERE JobId = ?", (job_id,)))
            jobmedia_id = to_int(
                self._one(
                    "INSERT INTO JobMedia (JobId, MediaId, FirstIndex, LastIndex, StartFile, "
                    "EndFile, StartBlock, EndBlock, VolIndex, JobBytes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING JobMediaId",
                    (
                        job_id, media_id, first_index, last_index, start_file, end_file,
                        start_block, end_block, count + 1, job_bytes,
                    ),
                )
            )  # fmt: skip
            self._db.execute(
                "UPDATE Media SET EndFile = ?, EndBlock = ? WHERE MediaId = ?",
                (end_file, end_block, media_id),
            )
        return jobmedia_id

    def delete_null_jobmedia(self, job_id: int) -> int:
        return self._db.execute(
            "DELETE FROM JobMedia WHERE JobId = ? AND FirstIndex = 0 AND LastIndex = 0", (job_id,)
        ).rowcount

    def jobmedia_for_jobs(self, job_ids: Iterable[int]) -> list[JobMediaRow]:
        ids = [int(i) for i in job_ids]
        sql = self._named("jobmedia_for_jobs", columns=JOBMEDIA.select, job_ids=marks(len(ids)))
        return [JOBMEDIA.row(r) for r in self._db.execute(sql, ids).fetchall()]

    # ------------------------------------------------------------------ files

    def file_batch(self, job_id: int, *, flush_rows: int = FILE_BATCH_ROWS) -> SqlFileBatch:
        return SqlFileBatch(self, job_id, flush_rows)

    def count_files(self, job_id: int) -> int:
        return to_int(self._one("SELECT count(*) FROM File WHERE JobId = ?", (job_id,)))

    _BATCH_COLUMNS = (
        "FileIndex",
        "JobId",
        "Path",
        "Name",
        "LStat",
        "Md5",
        "DeltaSeq",
        "Fhinfo",
        "Fhnode",
    )

    def write_file_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Bareos' batch insert: a temporary ``batch`` table, missing Paths, then File."""
        with self._db.transaction():
            self._db.execute(
                "CREATE TEMPORARY TABLE batch (FileIndex integer, JobId integer, Path text, "
                "Name text, LStat text, Md5 text, DeltaSeq smallint, Fhinfo numeric(20), "
                "Fhnode numeric(20))"
            )
            self._db.bulk_load("batch", self._BATCH_COLUMNS, rows)
            self._db.execute(self._named("batch_fill_path"))
            self._db.execute(self._named("batch_fill_file"))
            self._db.execute("DROP TABLE batch")

    def set_file_digest(self, job_id: int, file_index: int, md5: str) -> None:
        self._db.execute(
            "UPDATE File SET Md5 = ? WHERE JobId = ? AND FileIndex = ?", (md5, job_id, file_index)
        )

    # ------------------------------------------------------------------ restore

    def select_restore_jobs(
        self,
        client_id: int,
        fileset_id: int,
        before: TimeLike | None = None,
        *,
        job_type: Code = JobType.BACKUP,
    ) -> list[JobRow]:
        fileset = self._one("SELECT FileSet FROM FileSet WHERE FileSetId = ?", (fileset_id,))
        if fileset is None:
            return []
        base = self._named("restore_candidates", columns=JOB.with_prefix("j.").select)
        params: list[Any] = [client_id, code(job_type), fileset, *OK_STATUSES]
        if before is not None:
            base += " AND j.StartTime < ?"
            params.append(db_time(before))

        # "after" a job: a later JobTDate, or the same second and a higher JobId, so a
        # job that ends in the same second as the one before it is not lost
        later = "AND (j.JobTDate > ? OR (j.JobTDate = ? AND j.JobId > ?))"

        def newest(level: JobLevel, after: JobRow | None) -> JobRow | None:
            tdate, jobid = (after.job_tdate, after.job_id) if after else (-1, 0)
            row = self._db.execute(
                f"{base} AND j.Level = ? {later} ORDER BY j.JobTDate DESC, j.JobId DESC LIMIT 1",
                [*params, level.value, tdate, tdate, jobid],
            ).fetchone()
            return None if row is None else JOB.row(row)

        full = newest(JobLevel.FULL, None)
        if full is None:
            return []
        jobs = [full]
        diff = newest(JobLevel.DIFFERENTIAL, full)
        if diff is not None:
            jobs.append(diff)
        last = jobs[-1]
        incrementals = self._db.execute(
            f"{base} AND j.Level = ? {later} ORDER BY j.JobTDate, j.JobId",
            [*params, JobLevel.INCREMENTAL.value, last.job_tdate, last.job_tdate, last.job_id],
        ).fetchall()
        jobs += [JOB.row(r) for r in incrementals]
        return jobs

    def restore_files(self, job_ids: Iterable[int]) -> Iterator[RestoreFile]:
        ids = [int(i) for i in job_ids]
        cursor = self._db.execute(self._named("restore_files", job_ids=marks(len(ids))), ids)
        while chunk := cursor.fetchmany(5000):
            for job_id, file_index, path, name, lstat, md5 in chunk:
                yield RestoreFile(int(job_id), int(file_index), path, name, lstat, md5)

    # ------------------------------------------------------------------ generic

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        columns, rows = self._db.raw_query(sql, params)
        return (
            [c.lower() for c in columns],
            [tuple(plain_value(v) for v in row) for row in rows],
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, params).rowcount


__all__ = ["FLAVOURS", "SqlCatalog", "SqlFileBatch", "TABLES", "UPGRADES", "VOL_STATUSES"]
