"""What the requests service knows of families: a snapshot fed by passport events."""
