"""The election: contests, electoral units, candidates, polling areas and their teams."""
