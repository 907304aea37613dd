"""Edges to the outside world that are not sinks: the one HTTP client (SSRF guard, caps),
fetching a page, fetching and parsing a feed, OPML, and the seed folder and its loopback
feed server. Connectors import neither the store nor the stages: only streams.core.
"""
