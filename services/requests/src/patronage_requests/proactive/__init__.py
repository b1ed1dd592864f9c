"""Proactive work: rules over passport events and dates open requests before families ask."""
