"""A family's timeline: what happened to its requests, in Russian, newest first."""
