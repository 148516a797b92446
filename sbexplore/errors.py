"""Errors for user mistakes: the CLI, the UI and notebooks show their message alone, without a
traceback (`install_notebook_handler` does it in IPython)."""

from __future__ import annotations

import sys
from typing import Any


class UserError(Exception):
    """A mistake in the user's input or environment, explained by its message."""


class ConfigError(UserError, ValueError):
    """A RunConfig field (or CLI flag) has a value that is not allowed."""


class DataError(UserError, FileNotFoundError):
    """A dataset's files are missing or unusable; the message says what goes where."""


class RunFolderError(UserError):
    """A run folder cannot be read (a damaged file, named in the message) or written (disk full)."""


def _show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    # IPython's own short form: "An exception has occurred, use %tb to see the full traceback."
    # and "ConfigError: <message>"; the kernel reports the cell as failed, so Run All stops
    shell.showtraceback((etype, value, tb), exception_only=True)


def install_notebook_handler() -> bool:
    """In a running IPython shell, show a `UserError` as its message alone (other exceptions
    keep their traceback). Does nothing without a shell, or when the user registered handlers
    of their own. Never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "custom_exceptions", ()) not in ((), (UserError,)):
        return False
    shell.set_custom_exc((UserError,), _show)
    return True
