"""textkit's own exception and warning types, for problems the user can fix.

The CLI prints a ``TextkitError`` as one line on stderr and exits 1, and a ``TextkitWarning`` as
one ``warning:`` line; anything else is a bug and keeps its traceback.
"""


class TextkitError(Exception):
    """A user-facing problem: the message says what was wrong and what to do."""


class TextkitWarning(UserWarning):
    """Something the user should know that doesn't stop the command (e.g. dropped characters)."""
