"""The append-only audit log of every read and write of a passport or request."""
