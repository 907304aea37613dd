"""newswatch: news feeds in, deduplicated alerts out.

The data flow, one folder per stage (docs/ARCHITECTURE.md draws it):

    poll -> clean -> extract -> stories -> evaluate -> deliver

core/ is the shared vocabulary every stage speaks; knowledge/ the domain's names and
event types; config/ the settings; runtime/ joins the stages as Faust agents (or a
backtest); store/ keeps state; web/ and cli/ are the two faces; quality/ measures.
"""
