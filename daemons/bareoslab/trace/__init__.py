"""Reading protocol traces: sequence diagrams (``sequence``) and data rates (``rates``).

The daemons write traces (``net/trace.py``, one JSON line per message); this package only
reads them, and no daemon imports it.
"""
