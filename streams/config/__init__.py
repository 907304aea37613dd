"""Configuration: the Settings object read from NEWSWATCH_* (and its README table), unknown
variables flagged, and where the `newswatch` command finds its project folder.
"""
