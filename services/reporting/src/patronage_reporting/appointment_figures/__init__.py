"""Figures of appointments with specialists."""
