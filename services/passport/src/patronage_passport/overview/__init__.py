"""A passport with its eligible measures and history, read once (the family page's view)."""
