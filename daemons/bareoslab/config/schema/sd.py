"""Storage daemon (``bareos-sd``) resources and directives, with Bareos' defaults."""

from __future__ import annotations

from bareoslab.config.blocks import ADDRESSES
from bareoslab.config.schema.directive import (
    Directive,
    description_directive,
    messages_directives,
    name_directive,
    tls_directives,
)
from bareoslab.config.types import (
    AUTH_TYPE,
    BOOL,
    CLEAR_PASSWORD,
    COMPRESSION_ALGORITHM,
    DIRECTORY,
    DIRECTORY_LIST,
    DURATION,
    INT,
    INT16,
    IO_DIRECTION,
    LABEL_TYPE,
    PASSWORD,
    PLUGIN_NAMES,
    SIZE,
    SPEED,
    STRING,
    STRNAME,
    ref,
    ref_list,
)

SD_PORT = 9103
WORKING_DIRECTORY = "/var/lib/bareos"

STORAGE = [
    name_directive("storage daemon"),
    description_directive(),
    Directive("Port", INT, default=SD_PORT, aliases=("SdPort",), doc="Port to listen on."),
    Directive(
        "Address", STRING, aliases=("SdAddress",), doc="Address to listen on (default: all)."
    ),
    Directive("Addresses", ADDRESSES, aliases=("SdAddresses",), doc="Several listen addresses."),
    Directive("Source Address", STRING, aliases=("SdSourceAddress",)),
    Directive(
        "Working Directory", DIRECTORY, default=WORKING_DIRECTORY, doc="Directory for state files."
    ),
    Directive("Backend Directory", DIRECTORY_LIST, doc="Where storage backends are loaded from."),
    Directive(
        "Just In Time Reservation",
        BOOL,
        default=True,
        doc="Reserve devices only when data arrives.",
    ),
    Directive("Plugin Directory", DIRECTORY),
    Directive("Plugin Names", PLUGIN_NAMES),
    Directive("Scripts Directory", DIRECTORY, default="/usr/lib/bareos/scripts"),
    Directive("Maximum Concurrent Jobs", INT, default=1000, deprecated=True),
    Directive("Messages", ref("Messages"), doc="Messages resource for the daemon's messages."),
    Directive(
        "SD Connect Timeout",
        DURATION,
        default=1800,
        doc="How long to try connecting to another SD.",
    ),
    Directive(
        "FD Connect Timeout", DURATION, default=1800, doc="How long to try connecting to a client."
    ),
    Directive("Heartbeat Interval", DURATION, default=0,
              doc="TCP keepalive after this much silence, then every interval (0: the system's timing)."),
    Directive("Checkpoint Interval", DURATION, default=0),
    Directive("Maximum Network Buffer Size", INT),
    Directive(
        "Client Connect Wait",
        DURATION,
        default=1800,
        doc="How long to wait for a client to connect.",
    ),
    Directive("Ver Id", STRING),
    Directive("Maximum Bandwidth Per Job", SPEED),
    Directive("Allow Bandwidth Bursting", BOOL, default=False),
    Directive("NDMP Enable", BOOL, default=False),
    Directive("NDMP Snooping", BOOL, default=False),
    Directive("NDMP Log Level", INT, default=4),
    Directive("NDMP Address", STRING),
    Directive("NDMP Addresses", ADDRESSES),
    Directive("NDMP Port", INT, default=10000),
    Directive("Auto XFlate On Replication", BOOL, default=False),
    Directive("Absolute Job Timeout", INT),
    Directive("Collect Device Statistics", BOOL, default=False, deprecated=True),
    Directive("Collect Job Statistics", BOOL, default=False, deprecated=True),
    Directive("Statistics Collect Interval", INT, default=0, deprecated=True),
    Directive("Device Reserve By Media Type", BOOL, default=False),
    Directive("File Device Concurrent Read", BOOL, default=False),
    Directive("Secure Erase Command", STRING),
    Directive("Log Timestamp Format", STRING, default="%d-%b %H:%M"),
    Directive("Enable kTLS", BOOL, default=False, effect=False),
    *tls_directives(),
]

DIRECTOR = [
    name_directive("director allowed to use this storage daemon"),
    description_directive(),
    Directive("Password", PASSWORD, required=True, doc="Equals the director's Storage Password."),
    Directive("Monitor", BOOL, default=False, doc="Only status commands are allowed."),
    Directive("Maximum Bandwidth Per Job", SPEED),
    Directive("Key Encryption Key", CLEAR_PASSWORD),
    *tls_directives(),
]

NDMP = [
    name_directive("NDMP client"),
    description_directive(),
    Directive("Username", STRING, required=True),
    Directive("Password", CLEAR_PASSWORD, required=True),
    Directive("Auth Type", AUTH_TYPE, default="None"),
    Directive("Log Level", INT, default=4),
]


def _capability(name: str, default: bool, doc: str = "", deprecated: bool = False) -> Directive:
    return Directive(name, BOOL, default=default, doc=doc, deprecated=deprecated)


DEVICE = [
    name_directive("device"),
    description_directive(),
    Directive(
        "Media Type", STRNAME, required=True, doc="Must equal the director's Storage Media Type."
    ),
    Directive(
        "Device Type", STRING, doc="File, Tape, Fifo, ... (default: guessed from Archive Device)."
    ),
    Directive(
        "Archive Device", STRNAME, required=True, doc="File storage: the directory of the volumes."
    ),
    Directive("Device Options", STRING),
    Directive("Diagnostic Device", STRNAME),
    _capability("Hardware End Of File", True),
    _capability("Hardware End Of Medium", True),
    _capability("Backward Space Record", True),
    _capability("Backward Space File", True),
    _capability("BSF At EOM", False),
    _capability("Two EOF", False),
    _capability("Forward Space Record", True),
    _capability("Forward Space File", True),
    _capability("Fast Forward Space File", True),
    _capability("Removable Media", True, "Volumes can be removed (no for file storage)."),
    _capability("Random Access", False, "Volumes can be read anywhere (yes for file storage)."),
    _capability("Automatic Mount", False, "Mount volumes without an operator."),
    _capability("Label Media", False, "Label new volumes automatically."),
    _capability("Always Open", True, "Keep the device open (no for file storage)."),
    _capability("Autochanger", False),
    _capability("Close On Poll", False),
    _capability("Block Positioning", True),
    _capability("Use MTIOCGET", True),
    _capability("Check Labels", False, deprecated=True),
    _capability("Requires Mount", False),
    _capability("Offline On Unmount", False),
    _capability("Block Checksum", True),
    Directive(
        "Access Mode", IO_DIRECTION, default="ReadWrite", doc="ReadOnly, WriteOnly or ReadWrite."
    ),
    Directive("Auto Select", BOOL, default=True),
    Directive("Changer Device", STRNAME),
    Directive("Changer Command", STRNAME),
    Directive("Alert Command", STRNAME),
    Directive("Maximum Changer Wait", DURATION, default=300),
    Directive("Maximum Open Wait", DURATION, default=300),
    Directive("Maximum Open Volumes", INT, default=1),
    Directive("Maximum Network Buffer Size", INT, deprecated=True),
    Directive("Volume Poll Interval", DURATION, default=300),
    Directive("Maximum Rewind Wait", DURATION, default=300),
    Directive("Label Block Size", INT, default=64512),
    Directive("Minimum Block Size", INT),
    Directive("Maximum Block Size", SIZE, default=1048576),
    Directive("Maximum File Size", SIZE, default=1000000000),
    Directive("Volume Capacity", SIZE),
    Directive("Maximum Concurrent Jobs", INT, default=1),
    Directive("Spool Directory", DIRECTORY),
    Directive("Maximum Spool Size", SIZE),
    Directive("Maximum Job Spool Size", SIZE),
    Directive("Drive Index", INT16),
    Directive("Mount Point", STRNAME),
    Directive("Mount Command", STRNAME),
    Directive("Unmount Command", STRNAME),
    Directive("Label Type", LABEL_TYPE, deprecated=True),
    Directive("No Rewind On Close", BOOL, default=True),
    Directive("Drive Tape Alert Enabled", BOOL),
    Directive("Drive Crypto Enabled", BOOL),
    Directive("Query Crypto Status", BOOL),
    Directive("Auto Deflate", IO_DIRECTION),
    Directive("Auto Deflate Algorithm", COMPRESSION_ALGORITHM),
    Directive("Auto Deflate Level", INT16, default=6),
    Directive("Auto Inflate", IO_DIRECTION),
    Directive("Collect Statistics", BOOL, default=True),
    Directive("EOF On Error Is EOT", BOOL),
    Directive("Count", INT, default=1, doc="More than 1 creates Name0001, Name0002, ... copies."),
]

AUTOCHANGER = [
    name_directive("autochanger"),
    description_directive(),
    Directive("Device", ref_list("Device"), required=True),
    Directive("Changer Device", STRNAME, required=True),
    Directive("Changer Command", STRNAME, required=True),
]

#: resource type -> directives
RESOURCES: dict[str, list[Directive]] = {
    "Director": DIRECTOR,
    "Ndmp": NDMP,
    "Storage": STORAGE,
    "Device": DEVICE,
    "Messages": messages_directives(),
    "Autochanger": AUTOCHANGER,
}
