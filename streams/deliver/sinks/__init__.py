"""Sinks: one module per destination kind (console, JSONL, Slack, email, webhook) and the
registry that builds the configured ones.
"""
