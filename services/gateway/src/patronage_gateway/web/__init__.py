"""Web plumbing: who is logged in, CSRF, language, page rendering."""
