"""Live tracking of help requests, projected from the requests topic."""
