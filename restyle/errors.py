"""The one exception type for problems the user can fix (bad input, bad options).

The CLI turns a ``RestyleError`` into a single line on stderr and exit code 2; any
other exception is a bug in restyle.
"""


class RestyleError(Exception):
    """A problem with the user's input or options, described in one readable line."""


class NumericalError(RestyleError):
    """The loss became NaN or infinite during optimization."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during optimization; ``image`` holds the best image found so far (or None)."""

    def __init__(self, image=None):
        super().__init__()
        self.image = image
