"""The Bareos version the daemons speak and show (their hellos, job reports, volume labels)."""

VERSION = "25.0.0"
VERSION_DATE = "25 November 2026"
VERSION_SHORT_DATE = "25Nov26"  # as in job report headers: "Bareos bareos-dir 25.0.0 (25Nov26):"
#: when this version was built, as Bareos' build stamps it (UTC, %Y-%m-%d %H:%M:%S)
BUILD_TIME = "2026-11-25 00:00:00"
