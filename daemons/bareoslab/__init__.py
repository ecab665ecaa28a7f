"""bareoslab: a lab for the way Bareos executes jobs."""

__version__ = "0.1.0"
