#!/usr/bin/python
"""Write a daemon's configuration tree in one module call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: bareoslab_config_tree
short_description: Write a Bareos configuration directory in one call
description:
  - Makes the files below I(path) exactly I(files) (relative path to content): writes the
    files whose content, owner, group or mode differ (atomically, by rename), creates their
    directories (and missing parents of I(path)) with I(directory_mode), and removes the other
    files ending in I(suffix) (and directories left empty).
  - One call instead of one template task per resource file; the roles render the contents
    on the controller with the template lookup.
  - Check mode reports the files a real run would write and remove, writing nothing; with
    C(--diff) each of them comes with its content before and after.
options:
  path:
    description: Root of the tree (e.g. C(/etc/bareoslab/dir/staging/bareos-dir.d)).
    type: path
    required: true
  files:
    description: Relative path -> content. Paths may not leave I(path).
    type: dict
    required: true
  owner:
    description: Owner of the files and directories.
    type: str
  group:
    description: Group of the files and directories.
    type: str
  mode:
    description: Mode of the files.
    type: str
    default: "0640"
  directory_mode:
    description: Mode of the directories.
    type: str
    default: "0750"
  suffix:
    description: Only files with this ending are removed when they are not in I(files).
    type: str
    default: .conf
author: bareoslab
"""

RETURN = r"""
written:
  description: Relative paths written (new or changed content or attributes).
  type: list
  returned: always
removed:
  description: Relative paths removed.
  type: list
  returned: always
"""

import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _ids(owner, group):
    uid = pwd.getpwnam(owner).pw_uid if owner else -1
    gid = grp.getgrnam(group).gr_gid if group else -1
    return uid, gid


def _attrs_differ(path, uid, gid, mode):
    st = os.lstat(path)
    return (uid != -1 and st.st_uid != uid) or (gid != -1 and st.st_gid != gid) or (st.st_mode & 0o7777) != mode


def _ensure_dir(path, uid, gid, mode, check):
    """``path`` a directory with these attributes, missing parents made alike; True if changed."""
    if os.path.isdir(path):
        if _attrs_differ(path, uid, gid, mode):
            if not check:
                os.chown(path, uid, gid)
                os.chmod(path, mode)
            return True
        return False
    parent = os.path.dirname(path)
    if parent != path and not os.path.isdir(parent):
        _ensure_dir(parent, uid, gid, mode, check)
    if not check:
        os.mkdir(path)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def sync_tree(root, files, uid=-1, gid=-1, mode=0o640, directory_mode=0o750, suffix=".conf", check=False,
              diffs=None):
    """Make the files below ``root`` equal ``files``: (written, removed, directories changed).
    With a ``diffs`` list, each file written or removed adds Ansible's before/after diff."""
    root = os.path.realpath(root)
    written, removed = [], []
    dirs_changed = _ensure_dir(root, uid, gid, directory_mode, check)
    for rel in sorted(files):
        target = os.path.realpath(os.path.join(root, rel))
        if not target.startswith(root + os.sep):
            raise ValueError(f"{rel}: outside {root}")
        parent = os.path.dirname(target)
        below = root
        for part in os.path.relpath(parent, root).split(os.sep):
            if part != ".":
                below = os.path.join(below, part)
                dirs_changed |= _ensure_dir(below, uid, gid, directory_mode, check)
        data = files[rel].encode("utf-8")
        old = b""
        try:
            with open(target, "rb") as fh:
                old = fh.read()
            same = old == data and not _attrs_differ(target, uid, gid, mode)
        except FileNotFoundError:
            same = False
        if same:
            continue
        written.append(rel)
        if diffs is not None:
            diffs.append({"before_header": target, "after_header": target,
                          "before": old.decode("utf-8", "replace"), "after": files[rel]})
        if check:
            continue
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".bareoslab-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chown(tmp, uid, gid)
            os.chmod(tmp, mode)
            os.rename(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    wanted = {os.path.normpath(rel) for rel in files}
    for top, _dirs, names in os.walk(root, topdown=False):
        for name in names:
            rel = os.path.relpath(os.path.join(top, name), root)
            if name.endswith(suffix) and rel not in wanted:
                removed.append(rel)
                if diffs is not None:
                    path = os.path.join(top, name)
                    with open(path, "rb") as fh:
                        before = fh.read().decode("utf-8", "replace")
                    diffs.append({"before_header": path, "after_header": "(removed)",
                                  "before": before, "after": ""})
                if not check:
                    os.unlink(os.path.join(top, name))
        if top != root and not check and not os.listdir(top):
            os.rmdir(top)
            dirs_changed = True
    return written, sorted(removed), dirs_changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            files=dict(type="dict", required=True, no_log=True),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="str", default="0640"),
            directory_mode=dict(type="str", default="0750"),
            suffix=dict(type="str", default=".conf"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    diffs = [] if module._diff else None
    try:
        uid, gid = _ids(p["owner"], p["group"])
        written, removed, dirs_changed = sync_tree(
            p["path"], {k: str(v) for k, v in p["files"].items()}, uid, gid, int(p["mode"], 8),
            int(p["directory_mode"], 8), p["suffix"], module.check_mode, diffs,
        )
    except (KeyError, OSError, ValueError) as exc:
        module.fail_json(msg=f"{p['path']}: {exc}")
    result = dict(changed=bool(written or removed or dirs_changed), written=written, removed=removed)
    if diffs is not None:
        result["diff"] = diffs  # shown by --diff (unless the task is no_log: the files hold passwords)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
