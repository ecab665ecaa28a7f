"""The Director's console (Bareos' user agent): the command table (``commands``), one module per
command family, the console server (``server``)."""
