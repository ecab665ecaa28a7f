"""What pyproject.toml cannot say: the lab hosts' wheel leaves the lab out.

``BAREOSLAB_WHEEL=daemons pip wheel .`` (what the roles install on every host) builds the
daemons, the console and the catalog tool without the lab-only packages
(``bareoslab.lab``, ``bareoslab.topology``) and without the ``bareoslab`` command, in a
build directory of its own so no file of a full build slips in. Any other build (the
development install) has everything.
"""

import os

from setuptools import find_packages, setup

LAB_ONLY = ["bareoslab.lab", "bareoslab.lab.*", "bareoslab.topology", "bareoslab.topology.*"]
SCRIPTS = {
    "bareoslab-dir": "bareoslab.director.main:main",
    "bareoslab-sd": "bareoslab.storage.main:main",
    "bareoslab-fd": "bareoslab.filed.main:main",
    "bareoslab-console": "bareoslab.console.main:main",
    "bareoslab-catalog": "bareoslab.catalog.cli:main",
}
LAB_SCRIPTS = {"bareoslab": "bareoslab.lab.cli:main"}

daemons_only = os.environ.get("BAREOSLAB_WHEEL") == "daemons"
scripts = SCRIPTS if daemons_only else {**SCRIPTS, **LAB_SCRIPTS}
setup(
    package_dir={"": "daemons"},
    # package data: only what pyproject.toml lists (not every file an earlier build saw)
    include_package_data=False,
    packages=find_packages("daemons", exclude=LAB_ONLY if daemons_only else []),
    entry_points={"console_scripts": [f"{name} = {target}" for name, target in scripts.items()]},
    options={"build": {"build_base": "build/daemons"}} if daemons_only else {},
)
