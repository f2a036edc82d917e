"""Voter lists (danh sách cử tri), their changes and the freeze at the start of voting (issue 15)."""
