"""Curators: who they are, which district they belong to, how loaded they are."""
