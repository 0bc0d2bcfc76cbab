"""Settings fields that carry their help text, so the command line builds its flags from the dataclasses themselves."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, LayerSpec


def setting(default: Any = dataclasses.MISSING, help: str = "", *, factory: Optional[Callable[[], Any]] = None,
            type: Optional[Callable[[str], Any]] = None, metavar: Optional[str] = None,
            choices: Optional[tuple] = None) -> Any:
    """A dataclass field with its help text; ``type`` (a parser of the flag's text; default: the default's type),
    ``metavar`` and ``choices`` say how its command-line flag reads."""
    meta = {"help": help, "type": type, "metavar": metavar, "choices": choices}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class LossSettings:
    """The perceptual loss's settings, shared by the optimizer's ``Options`` and training's ``TrainOptions``."""

    content_weight: float = setting(1.0, "weight of the content term (each weight at most 1e6)", metavar="W")
    style_weight: float = setting(10.0, "weight of the style term (higher: more painted)", metavar="W")
    tv_weight: float = setting(10.0, "weight of total variation (higher: smoother)", metavar="W")
    content_layers: LayerSpec = setting(factory=lambda: dict(DEFAULT_CONTENT_LAYERS), help="VGG19 layers for "
                                        "content, comma-separated, each optionally name:weight", metavar="LAYERS")
    style_layers: LayerSpec = setting(factory=lambda: dict(DEFAULT_STYLE_LAYERS), help="VGG19 layers for style, "
                                      "comma-separated, each optionally name:weight", metavar="LAYERS")


@dataclass(frozen=True)
class HostSettings:
    """Settings that change the process, not only the run: off by default, for a library is a guest in its host's
    process (the command line, which owns its process, turns them on)."""

    keep_freed_memory: bool = setting(False, "keep freed CPU memory in the process for reuse while the run lasts "
                                             "(glibc's allocator tuned process-wide; faster on a CPU, see "
                                             "docs/performance.md)")
