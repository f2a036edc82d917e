"""The hotline (tổng đài): find a station, its timeline, the call list, call outcomes and entry by phone."""
