"""The runtime: the composition root (bootstrap), the Faust app and its thin agents, the
worker service, the pipeline joining the stages for one unit of work, cluster options,
metrics, health and liveness, the backtest and backfill replays, and the records' wire format
(wire: the only code that serialises records for Faust).
"""
