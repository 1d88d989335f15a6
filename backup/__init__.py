"""Backups: encrypted archives of the database, the uploaded files and optionally the keys.

``backup.archive`` writes and checks archives, ``backup.keys`` manages the age identity
they are encrypted to, and ``backup.restore`` brings an archive back into a box.
"""
