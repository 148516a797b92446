"""Errors for user mistakes: the CLI and UI show their message alone, without a traceback."""


class UserError(Exception):
    """A mistake in the user's input or environment, explained by its message."""


class ConfigError(UserError, ValueError):
    """A RunConfig field (or CLI flag) has a value that is not allowed."""


class DataError(UserError, FileNotFoundError):
    """A dataset's files are missing or unusable; the message says what goes where."""


class RunFolderError(UserError):
    """A run folder cannot be read (a damaged file, named in the message) or written (disk full)."""
