"""Bareos volumes on file devices: labels, blocks, records, bootstraps (volume-format.md).

Import from the modules (``bareoslab.volume.bsr`` and so on): the Director needs only the
bootstraps, and this package loads nothing of the rest for it.
"""
