"""Choosing the device and the numeric precision, and setting the backend flags that make them fast."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Iterator

import torch

from .errors import RestyleError
from .planning import available_ram


def resolve_device(name: str = "auto") -> torch.device:
    """auto picks cuda, then mps, then cpu; asking for one that is absent is a RestyleError."""
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RestyleError("device cuda asked for, but PyTorch sees no CUDA GPU (this torch build: "
                               f"{torch.__version__}); use --device cpu")
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        # cudnn.benchmark stays off: an iteration here is bound by kernel launches, not by convolution
        # algorithms, so autotuning bought no per-iteration speed on an H100 (9-12 ms either way) and cost
        # 3-5 s of start-up at 1024 px (three scales, new shapes each), plus up to 33 GB of trial workspace
        # in fp32.
    elif name == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise RestyleError("device mps asked for, but it is not available here; use --device cpu")
    elif name != "cpu":
        raise RestyleError(f"unknown device {name!r}; use auto, cpu, cuda or mps")
    return torch.device(name)


def bf16_supported(device: torch.device) -> bool:
    """Whether the hardware runs bfloat16 convolutions natively (not emulated, which would be slower)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The dtype the network runs in: bf16 where the hardware has it (auto), else float32."""
    if name == "fp32":
        return torch.float32
    if name == "bf16":
        if device.type == "mps":
            raise RestyleError("bf16 is not supported on mps; use --precision fp32")
        return torch.bfloat16
    if name == "auto":
        return torch.bfloat16 if bf16_supported(device) else torch.float32
    raise RestyleError(f"unknown precision {name!r}; use auto, fp32 or bf16")


def autocast(device: torch.device, dtype: torch.dtype):
    """Autocast to ``dtype`` on ``device``; a no-op context for float32."""
    return torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)


# mallopt's parameter numbers (malloc.h), and the settings put back: glibc's default count of mappings, and the
# mmap and trim thresholds where glibc's dynamic ones end once large blocks have been freed (32 MB, twice that)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
_MMAP_MAX, _MMAP_THRESHOLD = 65536, 32 << 20
_kept = {"depth": 0, "lock": threading.Lock()}  # blocks keeping memory now (nested or in other threads)


def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version, libc.mallopt, libc.malloc_trim  # noqa: B018 (absent from musl and others)
    except (OSError, AttributeError):
        return None
    return libc


@contextlib.contextmanager
def keep_freed_memory(device: torch.device, peak: int) -> Iterator[bool]:
    """Within the block, keep freed CPU memory in the process for reuse, where that is safe; yields whether it does.

    glibc hands every block above 32 MB back to the system when it is freed (munmap) and asks for fresh pages
    when the next one is allocated, so a training step or an optimizer iteration, which frees and allocates
    gigabytes of activations, pays every time for the page faults and zeroing of memory it has just given back
    (restyle's huge pages, ``THP_MEM_ALLOC_ENABLE``, make the faults fewer, not the zeroing). With ``M_MMAP_MAX``
    0 (no block in its own mapping) and a trim threshold never reached, freed memory stays in the heap for
    reuse. On a 2-core CPU a training step (batch 8 of 384 px) took 5.3-5.5 s instead of 6.9-8.0 s and a 1024 px
    ``stylize`` 18-20% less time (measured in a virtual machine, where memory handed back may cost more to get
    again than on bare metal, which was not measured). The cost is fragmentation: that step's peak was 6.9 GB
    instead of 5.1 GB. So this holds only on a CPU, under glibc, when ``peak`` (the bytes the block may use this
    way) fits in the memory available, and when the user has not tuned glibc's allocator already (``MALLOC_*_``
    or ``GLIBC_TUNABLES`` in the environment).

    Blocks may nest or overlap (threads). When the last one leaves, the free memory is returned to the system
    and glibc's settings go back to where its dynamic thresholds end in a process that has freed large blocks
    (any ``mallopt`` turns the dynamic adjustment off for good; with the trim threshold put back to its initial
    128 KB instead, a later ``apply`` in the same process took 165 ms against 142 ms at 512 px, 2.2 s against
    1.7 s at 1080p).
    """
    libc = _glibc() if device.type == "cpu" else None
    tuned = any(k.startswith("MALLOC_") and k.endswith("_") for k in os.environ) or "GLIBC_TUNABLES" in os.environ
    if libc is None or tuned or peak > available_ram():
        yield False
        return
    with _kept["lock"]:
        if _kept["depth"] == 0:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, -1)  # taken as a size_t: the largest, never reached
        _kept["depth"] += 1
    try:
        yield True
    finally:
        with _kept["lock"]:
            _kept["depth"] -= 1
            if _kept["depth"] == 0:  # the last block to leave puts the settings back
                libc.mallopt(_M_MMAP_MAX, _MMAP_MAX)
                libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD)
                libc.malloc_trim(0)
