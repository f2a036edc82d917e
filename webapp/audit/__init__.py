"""Audit log (nhật ký): who changed which election data, when, from where, before and after."""
