"""File daemon (``bareos-fd``) resources and directives, with Bareos' defaults."""

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
    BOOL,
    DIRECTORY,
    DIRECTORY_LIST,
    DURATION,
    INT,
    PASSWORD,
    PKI_CIPHER,
    PLUGIN_NAMES,
    SPEED,
    STRING,
    STRING_LIST,
    ref,
)

FD_PORT = 9102
DIR_PORT = 9101

CLIENT = [
    name_directive("file daemon"),
    description_directive(),
    Directive("Port", INT, default=FD_PORT, aliases=("FdPort",), doc="Port to listen on."),
    Directive(
        "Address", STRING, aliases=("FdAddress",), doc="Address to listen on (default: all)."
    ),
    Directive("Addresses", ADDRESSES, aliases=("FdAddresses",), doc="Several listen addresses."),
    Directive("Source Address", STRING, aliases=("FdSourceAddress",)),
    Directive(
        "Working Directory", DIRECTORY, default="/var/lib/bareos", doc="Directory for state files."
    ),
    Directive("Plugin Directory", DIRECTORY),
    Directive("Plugin Names", PLUGIN_NAMES),
    Directive("Scripts Directory", DIRECTORY, default="/usr/lib/bareos/scripts"),
    Directive("Maximum Concurrent Jobs", INT, default=1000, deprecated=True),
    Directive("Maximum Workers Per Job", INT, default=2,
              doc="Worker threads per backup: above 0 a file's digest is computed by a thread of its own "
                  "while its data is read and sent; 0: read, hash and send in turn."),
    Directive("Messages", ref("Messages"), doc="Messages resource for the daemon's messages."),
    Directive(
        "SD Connect Timeout", DURATION, default=1800, doc="How long to try connecting to a storage."
    ),
    Directive(
        "Heartbeat Interval", DURATION, default=0,
        doc="TCP keepalive and heartbeats to the Director during a job (0: the system's keepalive timing, no heartbeats)."
    ),
    Directive("Maximum Network Buffer Size", INT),
    Directive("PKI Signatures", BOOL, default=False),
    Directive("PKI Encryption", BOOL, default=False),
    Directive("PKI Key Pair", DIRECTORY),
    Directive("PKI Signer", DIRECTORY_LIST),
    Directive("PKI Master Key", DIRECTORY_LIST),
    Directive("PKI Cipher", PKI_CIPHER, default="aes128"),
    Directive("Ver Id", STRING),
    Directive("Maximum Bandwidth Per Job", SPEED),
    Directive("Allow Bandwidth Bursting", BOOL, default=False),
    Directive("Allowed Script Dir", DIRECTORY_LIST, doc="Directories scripts may run from."),
    Directive("Allowed Job Command", STRING_LIST, doc="Job commands the director may send."),
    Directive("Absolute Job Timeout", INT),
    Directive("Always Use LMDB", BOOL, default=False, deprecated=True),
    Directive("LMDB Threshold", INT),
    Directive("Secure Erase Command", STRING),
    Directive("Log Timestamp Format", STRING, default="%d-%b %H:%M"),
    Directive("GRPC Module", STRING),
    Directive("Enable kTLS", BOOL, default=False, effect=False),
    *tls_directives(),
]

DIRECTOR = [
    name_directive("director allowed to use this file daemon"),
    description_directive(),
    Directive("Password", PASSWORD, required=True, doc="Equals the director's Client Password."),
    Directive("Address", STRING, doc="Director address, for client-initiated connections."),
    Directive(
        "Port", INT, default=DIR_PORT, doc="Director port, for client-initiated connections."
    ),
    Directive(
        "Connection From Director To Client",
        BOOL,
        default=True,
        doc="Accept connections from this director.",
    ),
    Directive(
        "Connection From Client To Director",
        BOOL,
        default=False,
        doc="Connect to this director and wait for jobs.",
    ),
    Directive("Monitor", BOOL, default=False, doc="Only status commands are allowed."),
    Directive("Maximum Bandwidth Per Job", SPEED),
    Directive("Allowed Script Dir", DIRECTORY_LIST),
    Directive("Allowed Job Command", STRING_LIST),
    *tls_directives(),
]

#: resource type -> directives
RESOURCES: dict[str, list[Directive]] = {
    "Director": DIRECTOR,
    "Client": CLIENT,
    "Messages": messages_directives(),
}

#: other names of resource types (keyword -> canonical)
RESOURCE_ALIASES = {"FileDaemon": "Client"}
