"""The ``.bvfs_*`` commands: browsing backups the way Bareos WebUI and scripts do
(``ua_dotcmds.cc``), over the catalog's bvfs cache (:mod:`bareoslab.catalog.bvfs_sql`).

``.bvfs_update`` fills the cache, ``.bvfs_get_jobids`` names the jobs a restore of a job
needs, ``.bvfs_lsdirs``/``.bvfs_lsfiles`` list a directory, ``.bvfs_versions`` the saved
versions of a file, ``.bvfs_restore`` makes a restore list ``b2<n>`` that
``restore file=?b2<n>`` restores and ``.bvfs_cleanup`` drops. Text lines are Bareos'
tab-separated rows; in api 2 the same as JSON objects.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...catalog.bvfs_sql import EMPTY_LSTAT, BvfsRow
from ...filed.attribs import decode_lstat
from ...lsformat import group_name, user_name
from . import acl
from .args import Args, CommandFailed, arg, has

if TYPE_CHECKING:
    from .commands import UserAgent

_NUMBER_LIST = re.compile(r"\d+(,\d+)*\Z")
_MISSING = "Can't find jobid, pathid or path argument"
_UNAUTHORIZED = "Unauthorized command from this console."


def _number(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _ids(value: str | None) -> list[int]:
    return [int(i) for i in value.split(",")] if value and _NUMBER_LIST.match(value) else []


class Browse:
    """The arguments every listing takes (``BvfsParseArg``): where, which jobs, how many."""

    def __init__(self, args: Args) -> None:
        self.path_id = _number(arg(args, "pathid"), 0)
        self.path = arg(args, "path")
        self.job_ids = _ids(arg(args, "jobid"))
        self.limit = _number(arg(args, "limit"), 2000)
        self.offset = _number(arg(args, "offset"), 0)
        if not ((self.path_id or self.path is not None) and self.job_ids):
            raise CommandFailed(_MISSING)


async def _allowed_jobs(ua: UserAgent, job_ids: list[int]) -> list[int]:
    """The JobIds whose Job and Client the console may see (``BvfsValidateJobids``)."""
    cat = ua.director.catalog
    allowed = []
    for job_id in job_ids:
        job = await ua.director.db(cat.get_job, job_id)
        if job is None or not ua.acl.ok(acl.JOB, job.name):
            continue
        client = await ua.director.db(cat.get_client, job.client_id) if job.client_id else None
        if client is not None and not ua.acl.ok(acl.CLIENT, client.name):
            continue
        allowed.append(job_id)
    return allowed


async def _browse(ua: UserAgent, args: Args) -> tuple[Browse, list[int]]:
    browse = Browse(args)
    job_ids = await _allowed_jobs(ua, browse.job_ids)
    if not job_ids:
        raise CommandFailed(_UNAUTHORIZED)
    return browse, job_ids


def basename_dir(path: str) -> str:
    """The last component of a directory path, with its slash (``bvfs_basename_dir``)."""
    end = len(path) - 2 if path.endswith("/") else len(path) - 1
    if end <= 0:
        return path
    cut = path.rfind("/", 0, end + 1)
    return path[cut + 1 :] if cut >= 0 else path


def _stat(lstat: str) -> tuple[dict[str, Any], int]:
    try:
        st = decode_lstat(lstat)
    except ValueError:
        st = decode_lstat(EMPTY_LSTAT)
    return (
        {
            "dev": st.st_dev, "ino": st.st_ino, "mode": st.st_mode, "nlink": st.st_nlink,
            "uid": st.st_uid, "gid": st.st_gid, "user": user_name(st.st_uid),
            "group": group_name(st.st_gid), "rdev": st.st_rdev, "size": st.st_size,
            "atime": st.st_atime, "mtime": st.st_mtime, "ctime": st.st_ctime,
        },  # fmt: skip
        st.link_fi,
    )


def entry(row: BvfsRow) -> tuple[str, dict[str, Any]]:
    """One BVFS row as Bareos' text line and JSON object (``BvfsResultHandler``)."""
    kind, path_id, name, job_id, lstat, file_id = row[:6]
    if file_id is None:  # a directory no job saved itself
        lstat, job_id, file_id = EMPTY_LSTAT, 0, 0
    stat, link_fi = _stat(str(lstat))
    # Bareos' JSON output lower-cases every key
    obj: dict[str, Any] = {
        "type": kind, "pathid": int(path_id), "fileid": int(file_id), "jobid": int(job_id),
        "lstat": lstat,
    }  # fmt: skip
    head = f"{int(path_id)}\t{int(file_id)}\t{int(job_id)}\t{lstat}\t"
    if kind == "V":
        md5, volume, in_changer = row[6], row[7], int(row[8] or 0)
        obj.update({"md5": md5, "volumename": volume, "volumeinchanger": in_changer, "stat": stat})
        return f"{head}{md5}\t{volume}\t{in_changer}", obj
    if kind == "D":
        obj.update({"name": basename_dir(str(name)), "fullpath": name})
    else:
        obj["name"] = name
    obj.update({"stat": stat, "linkfileindex": link_fi})
    return f"{head}{obj['name']}", obj


async def _show(ua: UserAgent, key: str, rows: list[BvfsRow]) -> bool:
    objects = []
    for row in rows:
        line, obj = entry(row)
        await ua.send(line)
        objects.append(obj)
    ua.json_result = {key: objects}
    return True


async def _path_id(ua: UserAgent, browse: Browse) -> int | None:
    if browse.path_id:
        return browse.path_id
    return await ua.director.db(ua.director.catalog.path_id, browse.path or "")


async def dot_bvfs_update(ua: UserAgent, args: Args) -> bool:
    cat = ua.director.catalog
    ids = _ids(arg(args, "jobid"))
    if ids:
        if not await ua.director.db(cat.bvfs_update, ids):
            raise CommandFailed(f"ERROR: BVFS reported a problem for {arg(args, 'jobid')}")
    else:
        await ua.director.db(cat.bvfs_update, None)
    return True


async def dot_bvfs_clear_cache(ua: UserAgent, args: Args) -> bool:
    if not has(args, "yes"):
        raise CommandFailed("Can't find 'yes' argument")
    await ua.director.db(ua.director.catalog.bvfs_clear_cache)
    await ua.send("OK")
    return True


async def dot_bvfs_lsdirs(ua: UserAgent, args: Args) -> bool:
    browse, job_ids = await _browse(ua, args)
    path_id = await _path_id(ua, browse)
    if path_id is None:
        return False  # no such path: nothing to list (as Bareos, without a word)
    rows = await ua.director.db(
        ua.director.catalog.bvfs_ls_dirs, path_id, job_ids, "", browse.limit, browse.offset
    )
    return await _show(ua, "directories", rows)


async def dot_bvfs_lsfiles(ua: UserAgent, args: Args) -> bool:
    browse, job_ids = await _browse(ua, args)
    path_id = await _path_id(ua, browse)
    if path_id is None:
        path_id = await ua.director.db(ua.director.catalog.path_id, "") or 0
    rows = await ua.director.db(
        ua.director.catalog.bvfs_ls_files,
        path_id,
        job_ids,
        arg(args, "pattern") or "",
        browse.limit,
        browse.offset,
    )
    return await _show(ua, "files", rows)


async def dot_bvfs_versions(ua: UserAgent, args: Args) -> bool:
    browse = Browse(args)
    client = arg(args, "client")
    name = arg(args, "fname") or arg(args, "filename") or arg(args, "name")
    if not client or name is None:
        raise CommandFailed("Can't find client or fname argument")
    if not ua.acl.ok(acl.CLIENT, client):
        raise CommandFailed(_UNAUTHORIZED)
    path_id = await _path_id(ua, browse)
    rows = (
        await ua.director.db(
            ua.director.catalog.bvfs_versions,
            path_id,
            name,
            client,
            has(args, "copies"),
            browse.limit,
            browse.offset,
        )
        if path_id is not None
        else []
    )
    return await _show(ua, "versions", rows)


async def dot_bvfs_get_jobids(ua: UserAgent, args: Args) -> bool:
    cat = ua.director.catalog
    if arg(args, "ujobid"):
        job = await ua.director.db(cat.get_job_by_name, arg(args, "ujobid") or "")
        wanted = arg(args, "ujobid")
    elif arg(args, "jobid"):
        wanted = arg(args, "jobid")
        job = await ua.director.db(cat.get_job, _number(wanted, 0))
    else:
        raise CommandFailed("Can't find ujobid or jobid argument")
    if job is None:
        raise CommandFailed(f"Unable to get Job record for JobId={wanted}: ERR=no such job")
    if job.level == "B":  # a Base job stands alone
        chain = [job]
    elif has(args, "all"):
        chain = []
        for fileset_id in await ua.director.db(cat.client_fileset_ids, job.client_id):
            fileset = await ua.director.db(cat.get_fileset, fileset_id)
            if fileset is None or not ua.acl.ok(acl.FILESET, fileset.fileset):
                continue
            chain += await ua.director.db(cat.job_chain, job, fileset_id)
    else:
        chain = await ua.director.db(cat.job_chain, job)
    ids = await _allowed_jobs(ua, list(dict.fromkeys(j.job_id for j in chain)))
    await ua.send(",".join(map(str, ids)))
    ua.json_result = {"jobids": [{"id": str(i)} for i in ids]}
    return True


async def dot_bvfs_restore(ua: UserAgent, args: Args) -> bool:
    browse, job_ids = await _browse(ua, args)
    table = browse.path or ""
    file_ids = _ids(arg(args, "fileid"))
    dir_ids = _ids(arg(args, "dirid"))
    links = _ids(arg(args, "hardlink"))
    for key in ("fileid", "dirid", "hardlink"):
        if arg(args, key) and not _ids(arg(args, key)):
            raise CommandFailed("Can't create restore list")
    if len(links) % 2:
        raise CommandFailed("Can't create restore list")
    pairs = list(zip(links[::2], links[1::2]))
    made = await ua.director.db(
        ua.director.catalog.bvfs_restore, table, job_ids, file_ids, dir_ids, pairs
    )
    if not made:
        raise CommandFailed("Can't create restore list")
    await ua.send("OK")
    return True


async def dot_bvfs_cleanup(ua: UserAgent, args: Args) -> bool:
    table = arg(args, "path")
    if not table:
        raise CommandFailed("Can't find path argument")
    await ua.director.db(ua.director.catalog.bvfs_cleanup, table)
    return True
