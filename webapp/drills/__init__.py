"""Drills (diễn tập): rehearsing the whole day on the real accounts without touching the real election."""
