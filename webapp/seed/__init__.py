"""Demo data and the synthetic national dataset."""
