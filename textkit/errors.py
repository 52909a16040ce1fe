"""The one exception type for problems the user can fix (bad input, missing model, ...).

The CLI prints its message as one line on stderr and exits 1; anything else is a bug and
keeps its traceback.
"""


class TextkitError(Exception):
    """A user-facing problem: the message says what was wrong and what to do."""
