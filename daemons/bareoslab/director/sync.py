"""The catalog's mirrors of configuration resources (Bareos writes them at start and on
``update pool``)."""

from __future__ import annotations

from ..catalog.api import PoolRow
from ..config import Resource


def pool_row(pool: Resource) -> PoolRow:
    """The catalog's Pool row of a Pool resource (Bareos' ``SetPooldbrFromPoolres``)."""
    return PoolRow(
        name=pool.name, pool_type=pool.pool_type, label_format=pool.label_format or "*",
        max_vols=pool.maximum_volumes, max_vol_jobs=pool.maximum_volume_jobs,
        max_vol_files=pool.maximum_volume_files, max_vol_bytes=pool.maximum_volume_bytes,
        vol_retention=pool.volume_retention, vol_use_duration=pool.volume_use_duration,
        recycle=int(pool.recycle), auto_prune=int(pool.autoprune),
        use_catalog=int(pool.use_catalog),
    )
