"""Director (``bareos-dir``) resources and directives, with Bareos' defaults."""

from __future__ import annotations

from bareoslab.config.blocks import (
    ADDRESSES,
    AUDIT_EVENTS,
    CLIENT_RUN_AFTER_JOB,
    CLIENT_RUN_BEFORE_JOB,
    RUN_AFTER_FAILED_JOB,
    RUN_AFTER_JOB,
    RUN_BEFORE_JOB,
    RUNSCRIPT,
    SCHEDULE_RUN,
)
from bareoslab.config.fileset import EXCLUDE, INCLUDE
from bareoslab.config.schema.directive import (
    Directive,
    description_directive,
    messages_directives,
    name_directive,
    tls_directives,
)
from bareoslab.config.types import (
    ACL,
    ACTION_ON_PURGE,
    AUTH_PROTOCOL,
    AUTH_TYPE,
    BACKUP_PROTOCOL,
    BOOL,
    CLEAR_PASSWORD,
    DB_DRIVER,
    DIRECTORY,
    DURATION,
    INT,
    INT32,
    JOB_LEVEL,
    JOB_TYPE,
    LABEL_TYPE,
    PASSWORD,
    PLUGIN_NAMES,
    POOL_TYPE,
    REPLACE,
    SELECTION_TYPE,
    SIZE,
    SPEED,
    STRING,
    STRING_LIST,
    STRNAME,
    ref,
    ref_list,
)

DIR_PORT = 9101
FD_PORT = 9102
SD_PORT = 9103
WORKING_DIRECTORY = "/var/lib/bareos"
SCRIPTS_DIRECTORY = "/usr/lib/bareos/scripts"


def _acl_directives() -> list[Directive]:
    def acl(what: str, doc: str) -> Directive:
        return Directive(f"{what} ACL", ACL, doc=doc)

    return [
        acl("Job", "Jobs this console may use; !name denies, *all* allows all."),
        acl("Client", "Clients this console may use."),
        acl("Storage", "Storages this console may use."),
        acl("Schedule", "Schedules this console may use."),
        acl("Pool", "Pools this console may use."),
        acl("Command", "Console commands this console may run."),
        acl("FileSet", "FileSets this console may use."),
        acl("Catalog", "Catalogs this console may use."),
        acl("Where", "Directories restores may go to."),
        acl("Plugin Options", "Plugin options this console may pass."),
    ]


DIRECTOR = [
    name_directive("director"),
    description_directive(),
    Directive(
        "Messages", ref("Messages"), doc="Messages resource for the director's own messages."
    ),
    Directive("Port", INT, default=DIR_PORT, aliases=("DirPort",), doc="Port to listen on."),
    Directive(
        "Address", STRING, aliases=("DirAddress",), doc="Address to listen on (default: all)."
    ),
    Directive("Addresses", ADDRESSES, aliases=("DirAddresses",), doc="Several listen addresses."),
    Directive(
        "Source Address",
        STRING,
        aliases=("DirSourceAddress",),
        doc="Source address of outgoing connections.",
    ),
    Directive(
        "Query File",
        DIRECTORY,
        default=f"{SCRIPTS_DIRECTORY}/query.sql",
        doc="Queries for the console 'query' command.",
    ),
    Directive(
        "Working Directory", DIRECTORY, default=WORKING_DIRECTORY, doc="Directory for state files."
    ),
    Directive("Plugin Directory", DIRECTORY, doc="Directory plugins are loaded from."),
    Directive("Plugin Names", PLUGIN_NAMES, doc="Plugins to load (default: all)."),
    Directive(
        "Scripts Directory", DIRECTORY, default=SCRIPTS_DIRECTORY, doc="Directory of scripts."
    ),
    Directive("Subscriptions", INT, default=0, doc="Number of clients subscribed (0: unchecked)."),
    Directive("Maximum Concurrent Jobs", INT, default=1, doc="Jobs the director runs at once."),
    Directive("Maximum Console Connections", INT, default=20, doc="Consoles connected at once."),
    Directive(
        "Password", PASSWORD, required=True, doc="Password of the default console (*UserAgent*)."
    ),
    Directive(
        "FD Connect Timeout", DURATION, default=180, doc="How long to try connecting to a client."
    ),
    Directive(
        "SD Connect Timeout", DURATION, default=1800, doc="How long to try connecting to a storage."
    ),
    Directive("Heartbeat Interval", DURATION, default=0,
              doc="TCP keepalive after this much silence, then every interval (0: the system's timing)."),
    Directive("Statistics Retention", DURATION, default=160704000, deprecated=True),
    Directive("Statistics Collect Interval", INT, default=0, deprecated=True),
    Directive("Ver Id", STRING, doc="Text added to the version string."),
    Directive("Key Encryption Key", CLEAR_PASSWORD, doc="Key that wraps volume encryption keys."),
    Directive("NDMP Snooping", BOOL, default=False),
    Directive("NDMP Log Level", INT, default=4),
    Directive("NDMP Namelist Fhinfo Set Zero For Invalid Uquad", BOOL, default=False),
    Directive("Absolute Job Timeout", INT, doc="Seconds after which any job is cancelled."),
    Directive("Auditing", BOOL, default=False, doc="Log console commands to the audit trail."),
    Directive("Audit Events", AUDIT_EVENTS, doc="Commands to audit (default: all changing ones)."),
    Directive("Secure Erase Command", STRING, doc="Command run to delete files."),
    Directive(
        "Log Timestamp Format", STRING, default="%d-%b %H:%M", doc="strftime format in logs."
    ),
    Directive("Enable kTLS", BOOL, default=False, doc="Let OpenSSL use kernel TLS.", effect=False),
    *tls_directives(),
]

PROFILE = [
    name_directive("profile"),
    description_directive(),
    *_acl_directives(),
]

CONSOLE = [
    name_directive("console"),
    description_directive(),
    Directive("Password", PASSWORD, required=True, doc="Password of this named console."),
    *_acl_directives(),
    Directive(
        "Profile", ref_list("Profile"), doc="Profiles whose ACLs apply after the console's own."
    ),
    Directive("Use Pam Authentication", BOOL, default=False, doc="Authenticate users with PAM."),
    *tls_directives(),
]

USER = [
    name_directive("user"),
    description_directive(),
    *_acl_directives(),
    Directive("Profile", ref_list("Profile"), doc="Profiles whose ACLs apply."),
]

CLIENT = [
    name_directive("client"),
    description_directive(),
    Directive("Protocol", AUTH_PROTOCOL, default="Native", doc="Native or NDMPV2..4."),
    Directive("Auth Type", AUTH_TYPE, default="None", doc="NDMP authentication."),
    Directive(
        "Address",
        STRING,
        required=True,
        aliases=("FdAddress",),
        doc="Host name or address of the client.",
    ),
    Directive("Lan Address", STRING, doc="Address the storage daemon uses for this client."),
    Directive("Port", INT, default=FD_PORT, aliases=("FdPort",), doc="Port of the file daemon."),
    Directive("Username", STRING, doc="NDMP user name."),
    Directive(
        "Password",
        PASSWORD,
        required=True,
        aliases=("FdPassword",),
        doc="Shared with the file daemon's Director resource.",
    ),
    Directive("Catalog", ref("Catalog"), doc="Catalog of this client (default: the first one)."),
    Directive("Passive", BOOL, default=False, doc="The storage daemon connects to the client."),
    Directive(
        "Connection From Director To Client",
        BOOL,
        default=True,
        doc="The director connects to the client.",
    ),
    Directive(
        "Connection From Client To Director",
        BOOL,
        default=False,
        aliases=("AllowClientConnect",),
        doc="The client connects to the director (client-initiated).",
    ),
    Directive("Enabled", BOOL, default=True, doc="Jobs may use this client."),
    Directive("Hard Quota", SIZE, default=0),
    Directive("Soft Quota", SIZE, default=0),
    Directive("Soft Quota Grace Period", DURATION, default=0),
    Directive("Strict Quotas", BOOL, default=False),
    Directive("Quota Include Failed Jobs", BOOL, default=True),
    Directive("File Retention", DURATION, default=5184000, deprecated=True),
    Directive("Job Retention", DURATION, default=15552000, deprecated=True),
    Directive("Heartbeat Interval", DURATION, default=0,
              doc="Read and kept: the Director resource's Heartbeat Interval times the keepalive of every connection."),
    Directive("AutoPrune", BOOL, default=False, deprecated=True),
    Directive("Maximum Concurrent Jobs", INT, default=1, doc="Jobs run on this client at once."),
    Directive("Maximum Bandwidth Per Job", SPEED, doc="Bandwidth limit per job (bytes/s)."),
    Directive("NDMP Log Level", INT, default=4),
    Directive("NDMP Block Size", SIZE, default=64512),
    Directive("NDMP Use LMDB", BOOL, default=True),
    *tls_directives(),
]

STORAGE = [
    name_directive("storage"),
    description_directive(),
    Directive("Protocol", AUTH_PROTOCOL, default="Native"),
    Directive("Auth Type", AUTH_TYPE, default="None"),
    Directive(
        "Address", STRING, required=True, aliases=("SdAddress",), doc="Host of the storage daemon."
    ),
    Directive("Lan Address", STRING, doc="Address clients use for this storage."),
    Directive("Port", INT, default=SD_PORT, aliases=("SdPort",), doc="Port of the storage daemon."),
    Directive("Username", STRING),
    Directive(
        "Password",
        PASSWORD,
        required=True,
        aliases=("SdPassword",),
        doc="Shared with the storage daemon's Director resource.",
    ),
    Directive(
        "Device",
        STRING_LIST,
        required=True,
        doc="Device or Autochanger names on the storage daemon.",
    ),
    Directive(
        "Media Type",
        STRNAME,
        required=True,
        doc="Must equal the storage daemon Device's Media Type.",
    ),
    Directive("Auto Changer", BOOL, default=False, doc="The device is an autochanger."),
    Directive("Enabled", BOOL, default=True, doc="Jobs may use this storage."),
    Directive("Allow Compression", BOOL, default=True),
    Directive("Heartbeat Interval", DURATION, default=0,
              doc="Read and kept: the Director resource's Heartbeat Interval times the keepalive of every connection."),
    Directive("Cache Status Interval", DURATION, default=30),
    Directive("Maximum Concurrent Jobs", INT, default=1, doc="Jobs using this storage at once."),
    Directive(
        "Maximum Concurrent Read Jobs", INT, default=0, doc="Reading jobs at once (0: no limit)."
    ),
    Directive(
        "Paired Storage", ref("Storage"), doc="NDMP: the native storage paired with this one."
    ),
    Directive("Maximum Bandwidth Per Job", SPEED),
    Directive("Collect Statistics", BOOL, default=False, deprecated=True),
    Directive("NDMP Changer Device", STRNAME),
    *tls_directives(),
]

CATALOG = [
    name_directive("catalog"),
    description_directive(),
    Directive(
        "DB Driver",
        DB_DRIVER,
        default="sqlite3",
        doc="bareoslab extension: sqlite3 (embedded, DB Name is the file) or postgresql.",
    ),
    Directive("DB Address", STRING, aliases=("Address",), doc="Database host."),
    Directive("DB Port", INT, aliases=("Port",), doc="Database port (0: the driver's default)."),
    Directive(
        "DB Password",
        CLEAR_PASSWORD,
        aliases=("Password",),
        doc="Database password (kept in clear).",
    ),
    Directive("DB User", STRING, required=True, aliases=("User",), doc="Database user."),
    Directive("DB Name", STRING, required=True, doc="Database name (SQLite: the database file)."),
    Directive("DB Socket", STRING, aliases=("Socket",), doc="Unix socket of the database."),
    Directive("Multiple Connections", BOOL, deprecated=True),
    Directive("Disable Batch Insert", BOOL, default=False, deprecated=True),
    Directive("Reconnect", BOOL, default=True, doc="Reconnect when the connection drops."),
    Directive("Exit On Fatal", BOOL, default=False),
    Directive("Min Connections", INT, default=1),
    Directive("Max Connections", INT, default=5),
    Directive("Inc Connections", INT, default=1),
    Directive("Idle Timeout", INT, default=30),
    Directive("Validate Timeout", INT, default=120),
]

JOB = [
    name_directive("job"),
    description_directive(),
    Directive(
        "Type", JOB_TYPE, required=True, doc="Backup, Restore, Verify, Admin, Copy, Migrate, ..."
    ),
    Directive("Protocol", BACKUP_PROTOCOL, default="Native"),
    Directive("Backup Format", STRING, default="Native"),
    Directive("Level", JOB_LEVEL, doc="Default level (a Backup without one runs Incremental)."),
    Directive("Messages", ref("Messages"), required=True),
    Directive("Storage", ref_list("Storage"), doc="Storages (default: the Pool's)."),
    Directive(
        "Pool", ref("Pool"), required=True, doc="Pool written to; copy/migrate: the read pool."
    ),
    Directive("Full Backup Pool", ref("Pool")),
    Directive("Virtual Full Backup Pool", ref("Pool")),
    Directive("Incremental Backup Pool", ref("Pool")),
    Directive("Differential Backup Pool", ref("Pool")),
    Directive("Next Pool", ref("Pool"), doc="Copy/migrate target, overrides the Pool's Next Pool."),
    Directive("Client", ref("Client"), doc="Required for Backup, Restore and Verify."),
    Directive("FileSet", ref("FileSet"), doc="Required for Backup, Restore and Verify."),
    Directive("Schedule", ref("Schedule")),
    Directive("Job To Verify", ref("Job"), aliases=("VerifyJob",)),
    Directive("Catalog", ref("Catalog")),
    Directive("JobDefs", ref("JobDefs"), doc="Take unset directives from this JobDefs."),
    Directive("Run", STRING_LIST, doc="Start other jobs along with this one."),
    Directive("Where", DIRECTORY, doc="Restore prefix."),
    Directive("Regex Where", STRING),
    Directive("Strip Prefix", STRING),
    Directive("Add Prefix", STRING),
    Directive("Add Suffix", STRING),
    Directive("Bootstrap", DIRECTORY, doc="Bootstrap file read by restores."),
    Directive("Write Bootstrap", DIRECTORY, doc="Bootstrap file written (or |command)."),
    Directive("Replace", REPLACE, default="Always", doc="Always, IfNewer, IfOlder or Never."),
    Directive("Maximum Bandwidth", SPEED),
    Directive("Max Run Sched Time", DURATION),
    Directive("Max Run Time", DURATION),
    Directive("Full Max Runtime", DURATION),
    Directive("Incremental Max Runtime", DURATION),
    Directive("Differential Max Runtime", DURATION),
    Directive("Max Wait Time", DURATION),
    Directive("Max Start Delay", DURATION),
    Directive("Max Full Interval", DURATION),
    Directive("Max Virtual Full Interval", DURATION),
    Directive("Max Diff Interval", DURATION),
    Directive("Prefix Links", BOOL, default=False),
    Directive("Prune Jobs", BOOL, default=False),
    Directive("Prune Files", BOOL, default=False),
    Directive("Prune Volumes", BOOL, default=False),
    Directive(
        "Purge Migration Job",
        BOOL,
        default=False,
        doc="Delete the migrated job instead of only its files.",
    ),
    Directive("Enabled", BOOL, default=True),
    Directive("Spool Attributes", BOOL, default=False),
    Directive("Spool Data", BOOL, default=False),
    Directive("Spool Size", SIZE),
    Directive("Rerun Failed Levels", BOOL, default=False),
    Directive("Prefer Mounted Volumes", BOOL, default=True),
    Directive("Run Before Job", RUN_BEFORE_JOB, doc="Shorthand RunScript on the director, before."),
    Directive(
        "Run After Job", RUN_AFTER_JOB, doc="Shorthand RunScript on the director, after success."
    ),
    Directive(
        "Run After Failed Job", RUN_AFTER_FAILED_JOB, doc="Shorthand RunScript after failure."
    ),
    Directive(
        "Client Run Before Job", CLIENT_RUN_BEFORE_JOB, doc="Shorthand RunScript on the client."
    ),
    Directive(
        "Client Run After Job", CLIENT_RUN_AFTER_JOB, doc="Shorthand RunScript on the client."
    ),
    Directive("Maximum Concurrent Jobs", INT, default=1),
    Directive("Reschedule On Error", BOOL, default=False),
    Directive("Reschedule Interval", DURATION, default=1800),
    Directive("Reschedule Times", INT, default=5),
    Directive("Priority", INT, default=10),
    Directive("Allow Mixed Priority", BOOL, default=False),
    Directive("Selection Pattern", STRING, doc="Regex (Volume, Job, Client) or SQL (SqlQuery)."),
    Directive("RunScript", RUNSCRIPT, doc="RunScript { Command = ...; Runs When = ... } block."),
    Directive("Selection Type", SELECTION_TYPE, doc="How copy/migrate selects jobs."),
    Directive("Accurate", BOOL, default=False),
    Directive("Allow Duplicate Jobs", BOOL, default=True),
    Directive("Allow Higher Duplicates", BOOL, default=True, deprecated=True),
    Directive("Cancel Lower Level Duplicates", BOOL, default=False),
    Directive("Cancel Queued Duplicates", BOOL, default=False),
    Directive("Cancel Running Duplicates", BOOL, default=False),
    Directive("Save File History", BOOL, default=True),
    Directive("File History Size", SIZE, default=10000000),
    Directive("FD Plugin Options", STRING_LIST),
    Directive("SD Plugin Options", STRING_LIST),
    Directive("Dir Plugin Options", STRING_LIST),
    Directive("Max Concurrent Copies", INT, default=100, doc="Copy/migrate workers per selection."),
    Directive("Always Incremental", BOOL, default=False),
    Directive("Always Incremental Job Retention", DURATION, default=0),
    Directive("Always Incremental Keep Number", INT, default=0),
    Directive("Always Incremental Max Full Age", DURATION),
    Directive("Max Full Consolidations", INT, default=0),
    Directive("Run On Incoming Connect Interval", DURATION, default=0),
]

FILESET = [
    name_directive("fileset"),
    description_directive(),
    Directive("Include", INCLUDE, doc="Include { Options { ... } File = ... } block."),
    Directive("Exclude", EXCLUDE, doc="Exclude { File = ... } block."),
    Directive("Ignore FileSet Changes", BOOL, default=False),
    Directive("Enable VSS", BOOL, default=True),
]

SCHEDULE = [
    name_directive("schedule"),
    description_directive(),
    Directive("Run", SCHEDULE_RUN, doc="[Level=..] [Pool=..] <when> at HH:MM, as written."),
    Directive("Enabled", BOOL, default=True),
]

POOL = [
    name_directive("pool"),
    description_directive(),
    Directive("Pool Type", POOL_TYPE, default="Backup"),
    Directive("Label Format", STRNAME, doc="Automatic volume labels: <text><NNNN> (none: off)."),
    Directive("Label Type", LABEL_TYPE, deprecated=True),
    Directive("Cleaning Prefix", STRNAME, default="CLN"),
    Directive("Use Catalog", BOOL, default=True),
    Directive("Purge Oldest Volume", BOOL, default=False),
    Directive("Action On Purge", ACTION_ON_PURGE),
    Directive("Recycle Oldest Volume", BOOL, default=False),
    Directive("Recycle Current Volume", BOOL, default=False),
    Directive("Maximum Volumes", INT, doc="0: no limit."),
    Directive("Maximum Volume Jobs", INT, doc="0: no limit."),
    Directive("Maximum Volume Files", INT, doc="0: no limit."),
    Directive("Maximum Volume Bytes", SIZE, doc="0: no limit."),
    Directive("Catalog Files", BOOL, default=True),
    Directive("Volume Retention", DURATION, default=31536000),
    Directive("Volume Use Duration", DURATION),
    Directive("Migration Time", DURATION),
    Directive("Migration High Bytes", SIZE),
    Directive("Migration Low Bytes", SIZE),
    Directive("Next Pool", ref("Pool"), doc="Target of copy, migrate and virtual full jobs."),
    Directive("Storage", ref_list("Storage"), doc="Storage for jobs without their own."),
    Directive("AutoPrune", BOOL, default=True),
    Directive("Recycle", BOOL, default=True),
    Directive("Recycle Pool", ref("Pool")),
    Directive("Scratch Pool", ref("Pool")),
    Directive("Catalog", ref("Catalog")),
    Directive("File Retention", DURATION, deprecated=True),
    Directive("Job Retention", DURATION, deprecated=True),
    Directive("Minimum Block Size", SIZE),
    Directive("Maximum Block Size", SIZE),
]

COUNTER = [
    name_directive("counter"),
    description_directive(),
    Directive("Minimum", INT32, default=0),
    Directive("Maximum", INT, default=2147483647),
    Directive("Wrap Counter", ref("Counter")),
    Directive("Catalog", ref("Catalog")),
]

#: resource type -> directives
RESOURCES: dict[str, list[Directive]] = {
    "Director": DIRECTOR,
    "Client": CLIENT,
    "JobDefs": JOB,
    "Job": JOB,
    "Storage": STORAGE,
    "Catalog": CATALOG,
    "Schedule": SCHEDULE,
    "FileSet": FILESET,
    "Pool": POOL,
    "Messages": messages_directives(),
    "Counter": COUNTER,
    "Profile": PROFILE,
    "Console": CONSOLE,
    "User": USER,
}
