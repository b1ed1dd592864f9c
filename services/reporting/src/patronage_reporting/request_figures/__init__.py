"""Figures of help requests: counts by status, durations, SLA, ratings, overdue list."""
