"""The error tree: every failure newswatch expects (bad input, a file or a server at fault)
is a NewswatchError, whose message names the thing at fault: a variable, a file:line, a feed
or page URL, a database URL, a destination name, a request parameter.

Anything else raised while processing is a bug in newswatch, not a bad page: the agents and
loops of streams/runtime record a NewswatchError as the failure of the entry at hand and go
on, but log any other exception with its traceback (streams/runtime/agents.py).

    NewswatchError
    ├── ConfigError       settings, the project folder, taxonomy, gazetteer, model, seeds
    ├── RuleDefinitionError  a rule file, phrase or template that cannot be used
    ├── SourceError       a feed or a page (FetchError names the URL)
    │   ├── FeedError     a feed, or a file of feeds (OPML)
    │   └── PageError     an article page that cannot be made an article
    ├── StoreError        the store cannot be opened, migrated or written
    ├── DeliveryError     an alert destination
    └── RequestError      a parameter of a dashboard or API request

Existing classes keep their names (SettingsError, RuleSyntaxError, FetchError, ...) and
derive from these; some also derive from ValueError, as their callers catch it.
This module imports nothing: every layer may raise these.
"""

from __future__ import annotations


class NewswatchError(Exception):
    """An expected failure; the message names the thing at fault."""


class ConfigError(NewswatchError):
    """The configuration is wrong: a NEWSWATCH_ variable, a folder, a taxonomy or gazetteer
    file, the spaCy model; the message names it (and the line, for a file)."""


class RuleDefinitionError(NewswatchError):
    """A rule cannot be used as written; the message names the file:line or the rule id."""


class SourceError(NewswatchError):
    """A feed or page could not be read or used; the message names its URL."""


class FeedError(SourceError):
    """A feed, or a file listing feeds, that cannot be read; the message names it."""


class PageError(SourceError):
    """An article page that cannot be turned into an article; the message says why."""


class StoreError(NewswatchError):
    """The store cannot be opened, migrated or written; the message names the database."""


class DeliveryError(NewswatchError):
    """An alert destination is misconfigured or refused; the message names it."""


class RequestError(NewswatchError):
    """A request to the dashboard or the API is wrong; the message names the parameter."""
