"""What newswatch knows of the domain, loaded from rules/taxonomy/ and pinned data packages:
the gazetteer (people, places, organisations and their canonical names), the places of the
world, and the event taxonomy (types, triggers, quantity roles, status cues); fold, the key
names are compared by.
"""
