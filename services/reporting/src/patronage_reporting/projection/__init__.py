"""Driving the projections: live from the consumers, or in batches by the replay."""
