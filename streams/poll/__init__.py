"""Polling: what one poll of a feed means (decide: new entries, next attempt, health, no I/O),
which feed entries go to processing, in what order (feeder), when a failed one is tried again
(retry), and the worker's loop over the feeds (loop). Fetching and parsing a feed is an edge
(connectors/poll.py); loading, deciding and recording a poll is streams/runtime/polling.py.
"""
