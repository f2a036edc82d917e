"""The hotline (tổng đài): find a station, its timeline, the call list, call outcomes and entry by phone."""

from flask import Blueprint

# Here, not in views.py, so that the route modules (views, proxy) import it without importing each other.
bp = Blueprint("hotline", __name__)
