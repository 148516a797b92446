"""In a notebook, a user mistake (`UserError`: a bad parameter, missing data) shows its message
alone, as the CLI does, instead of a traceback through sbexplore's internals. The cell still
fails, so Run All stops there. Other exceptions keep their full traceback."""

from __future__ import annotations

import sys
from typing import Any

from sbexplore.errors import UserError


def _show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    # IPython's own short form: "An exception has occurred, use %tb to see the full traceback."
    # and "ConfigError: <message>"; the kernel reports the cell as failed
    shell.showtraceback((etype, value, tb), exception_only=True)


def install() -> bool:
    """Register the handler with the running IPython shell, unless there is none or the user
    already registered handlers of their own. Never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "custom_exceptions", ()) not in ((), (UserError,)):
        return False
    shell.set_custom_exc((UserError,), _show)
    return True
