"""The agency inbox: agencies without their own system work their requests in the UI.

The gateway is that agency's system: it consumes ``agency.<agency>.requests`` (the minimal
view the agency may see) and publishes the worker's decisions on ``agency.<agency>.status``
through the outbox, exactly as an agency's own system would.
"""
