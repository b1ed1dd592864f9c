"""The agency inbox: agencies without their own system work their tasks in the UI.

The requests service keeps the agency's list and applies the worker's decisions exactly
as it applies that agency's status messages; the gateway only shows and forwards them.
"""
