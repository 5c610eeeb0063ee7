"""Maintenance scripts (not part of the service)."""
