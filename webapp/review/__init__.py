"""The commune's review of the polling teams' reports: confirm, return for correction, reopen."""
