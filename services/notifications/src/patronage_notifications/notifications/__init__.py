"""Notifications: who learns of what, and through which channel."""
