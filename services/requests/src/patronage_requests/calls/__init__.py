"""The dispatcher line (129): registered calls and their outcomes."""
