"""The public REST API (bearer tokens from POST /api/token, or the UI's session cookie)."""
