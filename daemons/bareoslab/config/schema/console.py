"""bconsole (``bconsole.conf``) resources and directives, with Bareos' defaults."""

from __future__ import annotations

from bareoslab.config.schema.directive import (
    Directive,
    description_directive,
    name_directive,
    tls_directives,
)
from bareoslab.config.types import DIRECTORY, DURATION, INT, PASSWORD, STRING, ref

DIRECTOR = [
    name_directive("director"),
    description_directive(),
    Directive("Port", INT, default=9101, aliases=("DirPort",), doc="Port of the director."),
    Directive(
        "Address", STRING, required=True, aliases=("DirAddress",), doc="Host of the director."
    ),
    Directive("Password", PASSWORD, doc="The director's Director Password (default console)."),
    Directive("Heartbeat Interval", DURATION, default=0),
    *tls_directives(),
]

CONSOLE = [
    name_directive("named console to log in as"),
    description_directive(),
    Directive("Rc File", DIRECTORY),
    Directive("History File", DIRECTORY),
    Directive("History Length", INT, default=100),
    Directive("Password", PASSWORD, required=True, doc="The director's Console Password."),
    Directive("Director", ref("Director"), doc="Director resource this console is for."),
    Directive("Heartbeat Interval", DURATION, default=0),
    *tls_directives(),
]

#: resource type -> directives
RESOURCES: dict[str, list[Directive]] = {
    "Console": CONSOLE,
    "Director": DIRECTOR,
}
