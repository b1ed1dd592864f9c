"""Delivery: channels behind one interface, retries, the schedule and the delivery log."""
