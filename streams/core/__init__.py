"""The shared vocabulary: the records that travel between stages (FeedItem, Article,
Event, ArticleEvents, Alert), content keys, canonical URLs, the order of publication and the
bounded YAML reader. Imports nothing else of newswatch.
"""
