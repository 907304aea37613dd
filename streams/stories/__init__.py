"""Story matching: each event of an article joins an open story or opens a new one (what makes
two mentions one happening, per event type). Pure: the store loads candidate stories and
saves the result.
"""
