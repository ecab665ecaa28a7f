"""The Bareos configuration language: lexer, two-pass parser and resource schemas.

>>> cfg = load_config("/etc/bareos", "dir")          # doctest: +SKIP
>>> job = cfg.get("Job", "backup-client1-fd")        # doctest: +SKIP
>>> cfg.ref(job, "pool").volume_retention            # doctest: +SKIP
"""

from bareoslab.config.blocks import MessageDestination, RunScript
from bareoslab.config.errors import ConfigError
from bareoslab.config.fileset import IncludeBlock, OptionsBlock
from bareoslab.config.loader import find_config_files, load_config, load_config_text
from bareoslab.config.model import Config, FileSetResource, Resource
from bareoslab.config.schema import SCHEMAS, Directive

__all__ = [
    "SCHEMAS",
    "Config",
    "ConfigError",
    "Directive",
    "FileSetResource",
    "IncludeBlock",
    "MessageDestination",
    "OptionsBlock",
    "Resource",
    "RunScript",
    "find_config_files",
    "load_config",
    "load_config_text",
]
