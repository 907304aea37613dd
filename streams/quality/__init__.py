"""Measuring newswatch: extraction on the seeds (seeds.py), and on an annotated corpus folder
the alerts a replay raises (alerts.py) and the events it extracts (events.py), with one
diagnosis line per wrong or missed alert (diagnosis.py), rendered for a person (report.py).

    python -m streams.quality [--format json] [SEEDS REFERENCE.yaml] [CORPUS ...]
"""
