"""What the service knows of how to reach each family (a snapshot by family id)."""
