"""The deliver stage: Matches -> Alerts (make_alert), routed to named destinations (routing),
rendered per destination (render), sent by the Dispatcher through the sinks (sinks/) with
the retry policy (retry_policy); operator alerts about newswatch itself (feeds, rules
folder, dead deliveries) take the same path.
"""
