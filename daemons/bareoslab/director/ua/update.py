"""``update``, ``prune``, ``purge`` and ``delete``: catalog maintenance from the console.

Volume pruning follows catalog.md section 6.4: only Full/Used volumes, jobs
older than the volume's retention plus their copy/migrate control jobs, then
``Purged`` once no JobMedia row is left.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from ...catalog.api import CatalogError, MediaRow
from ...catalog.sql import VOL_STATUSES
from ...config import Resource
from ...config.types import edit_utime, parse_duration, parse_size
from ...net.errors import ProtocolError
from ...net.framing import bash_spaces, decode_text
from ..prune import prune_files, prune_jobs, retention
from ..sd_cmd import StorageError, open_storage
from ..sync import pool_row
from . import acl
from .args import Args, CommandFailed, UsageError, arg, has, int_arg, int_list_arg, keyword, yesno
from .output import format_table, json_rows
from .prompt import choose, parse_date
from .run_prompt import select_resource
from .usage import TRUNCATE_USAGE

if TYPE_CHECKING:
    from .commands import UserAgent

UPDATE_CHOICES = ["Volume parameters", "Pool from resource", "Slots from autochanger", "Long term statistics"]
_UPDATE_KEYWORDS = ("media", "volume", "pool", "slots", "slot", "jobid", "stats")
async def _volume(ua: UserAgent, name: str | None) -> MediaRow:
    if not name:
        raise UsageError("No volume specified.")
    media = await ua.director.db(ua.director.catalog.get_media, name)
    if media is None:
        raise CommandFailed(f'Volume "{name}" not found in catalog.')
    pool = await ua.director.db(ua.director.catalog.get_pool, media.pool_id)
    if pool is not None and not ua.acl.ok(acl.POOL, pool.name):
        raise CommandFailed(
            f'Volume "{name}": its Pool "{pool.name}" is denied by the Pool ACL '
            f'of console "{ua.name}".'
        )
    return media


def _flag(value: str, key: str) -> int:
    flag = yesno(value)
    if flag is None:
        raise CommandFailed(f"Invalid {key} value: {value} (yes or no).")
    return int(flag)


async def cmd_update(ua: UserAgent, args: Args) -> bool:
    """Bareos' ``UpdateCmd``: the first argument that names a kind decides; none asks."""
    kind = next((k for k, _ in args[1:] if k in _UPDATE_KEYWORDS), None)
    if kind is None:
        picked = await choose(ua, "Update choice:\n", UPDATE_CHOICES, "item", "Choose catalog item to update")
        if picked is None:
            return True
        kind = ("volume", "pool", "slots", "stats")[picked]
    if kind == "pool":
        return await update_pool(ua, args)
    if kind in ("slots", "slot"):
        return await update_slots(ua, args)
    if kind == "stats":
        return await update_stats(ua, args)
    if kind == "jobid":
        return await update_job(ua, args)
    return await update_volume(ua, args)


async def update_pool(ua: UserAgent, args: Args) -> bool:
    """The catalog's Pool row from the Pool resource, as it is now."""
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else await select_resource(ua, "Pool")
    if pool is None:
        return False
    cat = ua.director.catalog
    pool_id = await ua.director.db(cat.sync_pool, pool_row(pool))
    columns, rows = await ua.director.db(cat.list_pool, pool_id)
    await ua.lines(format_table(columns, rows))
    await ua.send("Pool DB record updated from resource.")
    ua.json_result = {"pool": json_rows(columns, rows)}
    return True


async def update_slots(ua: UserAgent, args: Args) -> bool:
    """Asks the storage's SD how many slots its changer has (``autochanger slots``), as Bareos'
    ``UpdateSlots``; the lab's disk devices answer that they are no autochanger."""
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else await select_resource(ua, "Storage")
    if storage is None:
        return False
    device = storage.device[0]
    await ua.send(f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ...")
    try:
        conn = await open_storage(ua.director, storage)
    except (StorageError, ProtocolError, OSError) as exc:
        raise CommandFailed(f"Cannot connect to Storage daemon {storage.name}: {exc}") from exc
    slots = 0
    try:
        await conn.send(f"autochanger slots {bash_spaces(device)}")
        for msg in await conn.recv_until_eod():
            text = decode_text(msg)
            found = re.match(r"slots=(\d+)", text)
            if found:
                slots = int(found.group(1))
            else:
                await ua.send(text.rstrip("\n"))
    finally:
        await conn.close()
    await ua.send(f'Device "{device}" has {slots} slots.')
    if slots <= 0:
        await ua.send("No slots in changer to scan.")
        return True
    raise CommandFailed(f'Storage "{storage.name}": reading the slots of a changer is not in the lab.')


async def update_stats(ua: UserAgent, args: Args) -> bool:
    """Jobs older than ``days=`` (default: all) copied to the long term statistics (JobHisto)."""
    days = arg(args, "days")
    if days and not days.isdigit():
        raise CommandFailed(f"Invalid days specified: {days}")
    before = int(time.time()) - int(days or 0) * 86400
    count = await ua.director.db(ua.director.catalog.update_stats, before)
    await ua.send(f"Updating {count} job(s).")
    ua.json_result = {"updated": count}
    return True


async def update_job(ua: UserAgent, args: Args) -> bool:
    cat = ua.director.catalog
    jobid = arg(args, "jobid")
    if not jobid:
        raise CommandFailed("Expect JobId keyword, not found.")
    if not jobid.isdigit():
        raise CommandFailed(f"Invalid jobid specified: {jobid}")
    job = await ua.director.db(cat.get_job, int(jobid))
    if job is None:
        raise CommandFailed(f"JobId {jobid} not found in catalog.")
    ua.check(acl.JOB, job.name)
    changes: dict[str, Any] = {}
    if arg(args, "jobname"):
        changes["Name"] = arg(args, "jobname")
    if arg(args, "jobtype"):
        changes["Type"] = (arg(args, "jobtype") or "")[0]
    if arg(args, "filesetid"):
        changes["FileSetId"] = int_arg(args, "filesetid")
    if arg(args, "client"):
        client = arg(args, "client") or ""
        ua.check(acl.CLIENT, client)
        client_id = await ua.director.db(cat.client_id, client)
        if client_id is None:
            raise CommandFailed(f'Could not find Client "{client}": ERR=no such client')
        changes["ClientId"] = client_id
    if arg(args, "starttime"):
        when = parse_date(arg(args, "starttime") or "")
        if when is None:
            raise CommandFailed(f"Improper date format: {arg(args, 'starttime')}")
        start = job.start_time.timestamp() if job.start_time else when
        changes["shift"] = int(when - start)
    if not changes:
        raise CommandFailed("Neither Client, StartTime, Filesetid, JobType nor Name specified.")
    await ua.director.db(lambda: cat.update_job_record(int(jobid), **changes))
    return True


async def update_volume(ua: UserAgent, args: Args) -> bool:
    media = await _volume(ua, arg(args, "volume") or arg(args, "media"))
    cat = ua.director.catalog
    changes: dict[str, Any] = {}
    said: list[str] = []
    for key, value in args[2:]:
        if value is None:
            continue
        try:
            if key == "volstatus":
                status = next((s for s in VOL_STATUSES if s.lower() == value.lower()), None)
                if status is None:
                    raise CommandFailed(f"Invalid VolStatus specified: {value}")
                changes["vol_status"] = status
                said.append(f"New Volume status is: {status}")
            elif key == "volretention":
                changes["vol_retention"] = parse_duration(value)
                said.append(f"New retention period is: {edit_utime(changes['vol_retention'])}")
            elif key == "voluse":
                changes["vol_use_duration"] = parse_duration(value)
                said.append(f"New use duration is: {edit_utime(changes['vol_use_duration'])}")
            elif key == "pool":
                pool = ua.res("Pool", value)
                assert pool is not None
                changes["pool_id"] = await ua.director.db(cat.pool_id, pool.name)
                said.append(f"New Pool is: {pool.name}")
            elif key == "enabled":
                changes["enabled"] = 2 if value.lower() == "archived" else _flag(value, key)
                said.append(f"New Enabled is: {changes['enabled']}")
            elif key == "recycle":
                changes["recycle"] = _flag(value, key)
                said.append(f"New Recycle flag is: {'yes' if changes['recycle'] else 'no'}")
            elif key == "inchanger":
                changes["in_changer"] = _flag(value, key)
                said.append(f"New InChanger flag is: {changes['in_changer']}")
            elif key in ("maxvoljobs", "maxvolfiles", "slot"):
                field = {
                    "maxvoljobs": "max_vol_jobs",
                    "maxvolfiles": "max_vol_files",
                    "slot": "slot",
                }[key]
                changes[field] = int(value)
                said.append(
                    {
                        "maxvoljobs": "New max jobs is: ",
                        "maxvolfiles": "New max files is: ",
                        "slot": "New Slot is: ",
                    }[key]
                    + value
                )
            elif key == "maxvolbytes":
                changes["max_vol_bytes"] = parse_size(value)
                said.append(f"New Max bytes is: {changes['max_vol_bytes']:,}")
            elif key not in ("volume", "media"):
                raise UsageError(f"Unknown keyword: {key}")
        except ValueError:
            raise CommandFailed(f"Invalid {key} specified: {value}") from None
    if not changes:
        raise UsageError("Nothing to update.")
    try:
        await ua.director.db(cat.update_media, media.volume_name, **changes)
    except CatalogError as exc:
        raise CommandFailed(str(exc)) from exc
    await ua.lines(said)
    return True


def _running(ua: UserAgent) -> set[int]:
    return {j.jobid for j in ua.director.jobs.values() if not j.done.is_set()}


async def _purge(ua: UserAgent, jobids: list[int]) -> None:
    """Delete the jobs' catalog records; volumes left without jobs become Purged."""
    cat = ua.director.catalog
    busy = sorted(set(jobids) & _running(ua))
    if busy:
        raise CommandFailed(f"JobId {busy[0]} is running; cancel it first.")
    volumes = await ua.director.db(cat.volumes_of_jobs, jobids)
    await ua.director.db(cat.purge_jobs, jobids)
    for media_id, name in volumes:
        if await ua.director.db(cat.mark_volume_purged_if_empty, int(media_id)):
            await ua.send(
                f'There are no more Jobs associated with Volume "{name}". Marking it purged.'
            )


async def _prune_jobs_or_files(ua: UserAgent, args: Args, what: str) -> bool:
    """``prune jobs|files client=<client> [pool=<pool>] [yes]``: by the pool's retention, else the
    client's; the jobs a restore of the latest state needs are kept (:mod:`..prune`)."""
    client = ua.res("Client", arg(args, "client"))
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else None
    assert client is not None
    kind = "Job" if what == "jobs" else "File"
    key = "job_retention" if what == "jobs" else "file_retention"
    period = retention(pool, client, key)
    if not has(args, "yes") and not await ua.confirm(
        f"The current {kind} retention period is: {edit_utime(period)}\nContinue? (yes/mod/no): "
    ):
        await ua.send("Prune cancelled.")
        return True
    prune = prune_jobs if what == "jobs" else prune_files
    await prune(ua.director, client, pool, ua.send)
    return True


async def cmd_prune(ua: UserAgent, args: Args) -> bool:
    what = keyword(args)
    if what in ("jobs", "files"):
        return await _prune_jobs_or_files(ua, args, what)
    if what != "volume":
        raise UsageError(
            "prune stats and prune directory are not implemented by this Director."
            if what in ("stats", "directory")
            else ""
        )
    media = await _volume(ua, arg(args, "volume"))
    name = media.volume_name
    if media.vol_status not in ("Full", "Used"):
        raise CommandFailed(
            f"Pruning volume {name}: cannot prune as Volstatus is {media.vol_status} "
            "but needs to be Full or Used."
        )
    if not has(args, "yes") and not await ua.confirm(
        f"The current Volume retention period is: {edit_utime(int(media.vol_retention))}\n"
        f"Continue? (yes/mod/no): "
    ):
        await ua.send("Prune cancelled.")
        return True
    cat = ua.director.catalog
    candidates = await ua.director.db(cat.prune_volume_candidates, media.media_id)
    await ua.send(
        f'Volume "{name}" has Volume Retention of {edit_utime(int(media.vol_retention))}. '
        f"and has {len(candidates)} jobs that will be pruned"
    )
    await ua.send(f"Pruning volume {name}: {len(candidates)} Jobs have expired and can be pruned.")
    if candidates:
        await ua.send(
            f"Purging the following {len(candidates)} JobIds: {','.join(map(str, candidates))}"
        )
        await _purge(ua, candidates)
    if not await ua.director.db(cat.job_ids_on_volume, media.media_id):
        await ua.director.db(cat.mark_volume_purged_if_empty, media.media_id)
        await ua.send(f'Volume "{name}" contains no jobs after pruning.')
    else:
        await ua.send(f'Volume "{name}" still contains jobs after pruning.')
    return True


async def cmd_purge(ua: UserAgent, args: Args) -> bool:
    cat = ua.director.catalog
    if arg(args, "jobid"):
        jobids = int_list_arg(args, "jobid")
        for jobid in jobids:
            row = await ua.director.db(cat.get_job, jobid)
            if row is None:
                raise CommandFailed(f"JobId {jobid} not found in catalog.")
            ua.check(acl.JOB, row.name)
        await ua.send(f"Purging the following {len(jobids)} JobIds: {','.join(map(str, jobids))}")
        await _purge(ua, jobids)
        return True
    if arg(args, "volume") is None:
        raise UsageError("")
    media = await _volume(ua, arg(args, "volume"))
    if not has(args, "yes") and not await ua.confirm(
        "\nThis command can be DANGEROUS!!!\n\nIt purges (deletes) all Files from a Job,\n"
        "JobId, Client or Volume; or it purges (deletes)\nall Jobs from a Client or Volume without "
        "regard\nto retention periods. Normally you should use the\nPRUNE command, which respects "
        "retention periods.\nContinue? (yes/no): "
    ):
        await ua.send("Purge cancelled.")
        return True
    jobids = await ua.director.db(cat.job_ids_on_volume, media.media_id)
    if jobids:
        await ua.send(f"Purging the following {len(jobids)} JobIds: {','.join(map(str, jobids))}")
        await _purge(ua, jobids)
    else:
        await ua.director.db(cat.mark_volume_purged_if_empty, media.media_id)
        await ua.send(
            f'There are no more Jobs associated with Volume "{media.volume_name}". Marking it purged.'
        )
    if (arg(args, "action") or "").lower() == "truncate":
        await _truncate_on_purge(ua, args, media.volume_name)
    return True


async def _truncate_on_purge(ua: UserAgent, args: Args, name: str) -> None:
    """``action=truncate``: a Purged volume of a pool with ``Action On Purge = Truncate`` is
    relabelled by its SD, which cuts it to its label (Bareos' do_truncate_on_purge)."""
    director, cat = ua.director, ua.director.catalog
    media = await director.db(cat.get_media, name)
    if media is None or media.vol_status != "Purged" or not media.recycle:
        await ua.send("No Volumes found to perform truncate action.")
        return
    pool_record = await director.db(cat.get_pool, media.pool_id)
    pool = director.cfg.get("Pool", pool_record.name) if pool_record else None
    if pool is None or str(pool.action_on_purge or "").lower() != "truncate":
        await ua.send(f'\nThe option "Action On Purge = Truncate" was not defined in the Pool resource.\n'
                      f'Unable to truncate volume "{name}"')
        return
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else _media_storage(ua, media)
    if await relabel_in_place(ua, media, pool.name, storage) is None:
        await ua.send(f'Unable to truncate volume "{name}"')
        return
    await ua.send(f'The volume "{name}" has been truncated')


def _media_storage(ua: UserAgent, media: MediaRow) -> Resource:
    storages = [s for s in ua.director.cfg.resources("Storage") if s.media_type == media.media_type]
    if not storages:
        raise CommandFailed(f'No Storage for Media Type "{media.media_type}".')
    by_id = [s for s in storages if ua.director.storage_ids.get(s.name) == media.storage_id]
    return (by_id or storages)[0]


async def relabel_in_place(ua: UserAgent, media: MediaRow, pool: str, storage: Resource | None) -> int | None:
    """Have the SD write the volume's label again, which cuts it to its label (Bareos' truncate);
    the catalog follows. The new size, or None when the SD refused."""
    director, name = ua.director, media.volume_name
    if storage is None:
        raise CommandFailed(f'No Storage for Media Type "{media.media_type}".')
    try:
        conn = await open_storage(director, storage)
    except (StorageError, ProtocolError, OSError) as exc:
        raise CommandFailed(f"Cannot connect to Storage daemon {storage.name}: {exc}") from exc
    size = None
    try:
        await conn.send(
            f"relabel {bash_spaces(storage.device[0])} OldName={bash_spaces(name)} NewName={bash_spaces(name)} "
            f"PoolName={bash_spaces(pool)} MediaType={bash_spaces(media.media_type)} Slot={media.slot} "
            f"drive=0 MinBlocksize={media.min_block_size} MaxBlocksize={media.max_block_size}\n")
        for msg in await conn.recv_until_eod():
            text = decode_text(msg).rstrip("\n")
            await ua.send(text)
            found = re.search(r"^3000 OK label\..* VolBytes=(\d+)", text)
            if found:
                size = int(found.group(1))
    finally:
        await conn.close()
    if size is not None:
        await director.db(director.catalog.update_media, name, vol_bytes=size, vol_files=0)
    return size


_TRUNCATE_KEYS = frozenset({"volstatus", "storage", "pool", "volume", "drive", "yes"})
_FIRST_BLOCK = 512 * 126  # a volume of no more than its label block has nothing to cut


async def cmd_truncate(ua: UserAgent, args: Args) -> bool:
    """Cut Purged volumes (recyclable, enabled, more than a label) back to their label."""
    try:
        return await _truncate(ua, args)
    finally:
        ua.catalog_open.clear()  # Bareos' TruncateCmd closes the session's catalog at its end


async def _truncate(ua: UserAgent, args: Args) -> bool:
    def usage(message: str) -> CommandFailed:  # Bareos' SendCmdUsage
        return CommandFailed(f"{message}\nUSAGE: {TRUNCATE_USAGE}")

    if len(args) < 2:
        raise usage("missing parameter")
    status = arg(args, "volstatus")
    if status is None:
        raise usage("required parameter 'volstatus' missing")
    if status.lower() != "purged":
        raise usage("Invalid parameter. 'volstatus' must be 'Purged'.")
    if any(k not in _TRUNCATE_KEYS for k, _ in args[1:]):
        raise usage("Invalid parameter.")
    director, cat = ua.director, ua.director.catalog
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else None
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else None
    columns, rows = await director.db(cat.list_volume_records, arg(args, "volume") or None,
                                      pool.name if pool else None)
    records = [dict(zip(columns, r)) for r in rows]
    chosen = [r for r in records
              if r["volstatus"] == "Purged" and r["recycle"] and r["enabled"] == 1
              and (r["volbytes"] or 0) > _FIRST_BLOCK
              and (storage is None or r["storage"] == storage.name)
              and ua.acl.ok(acl.POOL, r["pool"] or "") and ua.acl.ok(acl.STORAGE, r["storage"] or "")]
    shown = [tuple(r[c] for c in columns) for r in chosen]
    await ua.lines(format_table(columns, shown))
    ua.json_result = {"volumes": json_rows(columns, shown)}
    if not chosen:
        return True
    if len({r["storage"] for r in chosen}) > 1:
        raise CommandFailed("Selected volumes are from different storages. This is not supported. "
                            "Please choose only volumes from a single storage.")
    if not has(args, "yes") and not await ua.confirm("Truncate listed volumes (yes/no)? "):
        return True
    for record in chosen:
        media = await director.db(cat.get_media, record["volumename"])
        if media is None:
            continue
        where = storage or (director.cfg.get("Storage", record["storage"]) if record["storage"] else None)
        if await relabel_in_place(ua, media, record["pool"] or "", where or _media_storage(ua, media)) is not None:
            await ua.send(f"The volume '{media.volume_name}' has been truncated.")
    return True


async def cmd_delete(ua: UserAgent, args: Args) -> bool:
    cat = ua.director.catalog
    if arg(args, "jobid"):
        jobids = int_list_arg(args, "jobid")
        if not jobids:
            raise UsageError("")
        for jobid in jobids:
            row = await ua.director.db(cat.get_job, jobid)
            if row is None:
                raise CommandFailed(f"JobId {jobid} not found in catalog.")
            ua.check(acl.JOB, row.name)
        busy = sorted(set(jobids) & _running(ua))
        if busy:
            raise CommandFailed(f"JobId {busy[0]} is running; cancel it first.")
        await ua.director.db(cat.purge_jobs, jobids)
        for jobid in jobids:
            await ua.send(f"JobId={jobid} and associated records deleted from the catalog.")
        return True
    if arg(args, "volume") is None:
        raise UsageError("")
    media = await _volume(ua, arg(args, "volume"))
    name = media.volume_name
    await ua.send(
        f"This command will delete volume {name}\nand all Jobs saved on that volume from the Catalog"
    )
    if not has(args, "yes") and not await ua.confirm(
        f'Are you sure you want to delete Volume "{name}"? (yes/no): '
    ):
        await ua.send("Delete cancelled.")
        return True
    jobids = await ua.director.db(cat.job_ids_on_volume, media.media_id)
    if jobids:
        busy = sorted(set(jobids) & _running(ua))
        if busy:
            raise CommandFailed(f"JobId {busy[0]} is running on Volume {name}; cancel it first.")
        await ua.director.db(cat.purge_jobs, jobids)
    await ua.director.db(cat.delete_media, media.media_id)
    await ua.send(f'Volume "{name}" deleted from the catalog.')
    return True
