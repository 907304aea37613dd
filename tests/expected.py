"""What the seeds must fire (issue 3): shared by the backtest and end-to-end tests."""

from collections import Counter

SEED_ALERTS = Counter(
    {
        "prisoner-exchange-new": 2,
        "peace-talks-turkey": 3,
        "mass-casualty-strike": 1,
        "ceasefire": 2,
        "sanctions-russia": 1,
    }
)
