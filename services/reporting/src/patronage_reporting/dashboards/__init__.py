"""Dashboards and exports: figures read by ``_id``, scoped to the viewer."""
