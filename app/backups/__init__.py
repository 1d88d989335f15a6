"""Backup targets and the status of backups: services, admin page and the scheduled jobs."""
