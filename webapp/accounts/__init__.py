"""Accounts, roles and their place in the hierarchy."""
