"""Settings fields that carry their help text, so the command line builds its flags from the dataclasses themselves."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional


def setting(default: Any = dataclasses.MISSING, help: str = "", *, factory: Optional[Callable[[], Any]] = None,
            type: Optional[Callable[[str], Any]] = None, metavar: Optional[str] = None,
            choices: Optional[tuple] = None) -> Any:
    """A dataclass field with its help text; ``type`` (a parser of the flag's text; default: the default's type),
    ``metavar`` and ``choices`` say how its command-line flag reads."""
    meta = {"help": help, "type": type, "metavar": metavar, "choices": choices}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)
