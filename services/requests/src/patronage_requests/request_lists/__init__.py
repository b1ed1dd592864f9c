"""Lists of requests by curator and by agency, newest first, kept from the request's state."""
