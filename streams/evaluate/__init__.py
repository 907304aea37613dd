"""The evaluate stage: an article's events against the analysts' rules -> Matches. Rule files
(YAML) load into a Rulebook (rulebook, kinds, condition_compiler -> conditions), hot reload
(hot_reload), messages, expectations (`newswatch rules test`), names the data lacks; the
history stateful kinds keep goes through the RuleState protocol (rule_state), never the store.
"""
