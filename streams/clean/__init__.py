"""The clean stage: a FeedItem and its fetched page in, an Article (plain text and metadata)
out; the runtime fetches the page, never this stage. trafilatura runs in child processes
(trafilatura_pool) so a hostile page can be cut off.
"""
