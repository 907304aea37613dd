"""The deliver stage: every new Alert made by one function (make_alert.new_alert), routed to
named destinations (routing; the sink kinds they may be of: sink_kinds), recorded with its
outbox rows by one function (record: destinations, silences, digest groups) which wakes the
Dispatcher, rendered per destination (render) and sent through the sinks (sinks/) with the
retry policy (retry_policy); operator alerts about newswatch itself (feeds, rules folder,
dead deliveries) take the same path.
"""
