"""Server-rendered pages of the web UI (Russian)."""
