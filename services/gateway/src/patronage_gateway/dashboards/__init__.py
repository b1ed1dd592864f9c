"""Heads' and authorities' dashboards: the reporting service's figures, in the viewer's scope."""
