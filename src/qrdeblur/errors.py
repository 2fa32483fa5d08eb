"""Errors the user can fix: the CLI prints them as one line on stderr and exits with code 1."""


class UsageError(ValueError):
    """Bad input from the user (a value, a file, a name); the message names the culprit."""


class ImageReadError(UsageError):
    """An image file that cannot be read (missing, truncated, not an image, too large)."""
