"""Routing of help requests to agencies, from reference data."""
