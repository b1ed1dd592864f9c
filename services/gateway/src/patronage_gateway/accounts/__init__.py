"""Local accounts, login with lockout, sessions, API tokens, OpenID Connect."""
