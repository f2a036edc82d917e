"""Configuration an election committee may change during the preparations: the turnout report times."""
