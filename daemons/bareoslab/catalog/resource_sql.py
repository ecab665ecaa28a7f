"""The rows the configuration names: pools, clients, storages, media types, filesets.

The Director writes them from its resources at start and looks them up per job."""

from __future__ import annotations

from .base import SqlBase
from .driver import marks
from .errors import CatalogError
from .records import ClientRow, FileSetRow, PoolRow, TimeLike
from .rows import CLIENT, FILESET, POOL, to_int
from .times import db_time
from .times import now as _now

POOL_TYPES = ("Backup", "Copy", "Cloned", "Archive", "Migration", "Scratch")


class ResourceSql(SqlBase):
    """Pools, clients, storages, media types and filesets."""

    _POOL_CONFIG_FIELDS = (
        "pool_type", "label_format", "max_vols", "use_once", "use_catalog", "accept_any_volume",
        "vol_retention", "vol_use_duration", "max_vol_jobs", "max_vol_files", "max_vol_bytes",
        "auto_prune", "recycle", "action_on_purge", "label_type", "scratch_pool_id",
        "recycle_pool_id", "min_block_size", "max_block_size", "migration_high_bytes",
        "migration_low_bytes", "migration_time",
    )  # fmt: skip

    def sync_pool(self, pool: PoolRow) -> int:
        """Insert or update the Pool row named ``pool.name`` from the configuration;
        recompute NumVols.  Returns the PoolId."""
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

    def pool_id(self, name: str) -> int | None:
        value = self._one("SELECT PoolId FROM Pool WHERE Name = ? ORDER BY PoolId LIMIT 1", (name,))
        return None if value is None else int(value)

    def get_or_create_client(
        self,
        name: str,
        uname: str = "",
        *,
        auto_prune: int | None = None,
        file_retention: int | None = None,
        job_retention: int | None = None,
    ) -> int:
        """ClientId of ``name``, creating the row (None counts as 0).  For an existing
        client the values given (not None; UName if not empty) are written, so the
        director start refreshes them from the config and a job's lookup keeps them."""
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
        """StorageId of ``name``, creating the row; AutoChanger is updated when given."""
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
        """FileSetId for (name, md5); a new MD5 creates a new row."""
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

    def fileset_ids(self, name: str) -> list[int]:
        """Every FileSetId of the FileSet ``name`` (one per text it has had), newest first."""
        rows = self._db.execute("SELECT FileSetId FROM FileSet WHERE FileSet = ? ORDER BY FileSetId DESC", (name,))
        return [to_int(r[0]) for r in rows.fetchall()]

    def get_fileset(self, fileset_id: int) -> FileSetRow | None:
        row = self._db.execute(
            f"SELECT {FILESET.select} FROM FileSet WHERE FileSetId = ?", (fileset_id,)
        ).fetchone()
        return None if row is None else FILESET.row(row)
