"""Memory: the budget a run may use, what the process holds, and keeping freed CPU memory for reuse (glibc)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Iterator

import torch

GB = 10**9
#: Default budget: what a 12 GB graphics card, or this much of a computer's RAM, can give a run.
DEFAULT_BUDGET = 12 * GB


def default_budget(device: torch.device) -> int:
    """12 GB, or less where the device has less: 90% of a GPU's memory, 80% of the RAM now available."""
    if device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory
        return int(min(DEFAULT_BUDGET, 0.9 * total))
    return int(min(DEFAULT_BUDGET, 0.8 * available_ram()))


def available_ram() -> int:
    """Bytes of RAM available without swapping: Linux's MemAvailable, else all of it, else 12 GB."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return DEFAULT_BUDGET


def in_use(device: torch.device) -> int:
    """Bytes the process holds now on ``device`` (GPU tensors; on the CPU the whole resident set)."""
    if device.type == "cuda":
        return torch.cuda.memory_allocated(device)
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


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
    (huge pages, ``THP_MEM_ALLOC_ENABLE``, make the faults fewer, not the zeroing). With ``M_MMAP_MAX``
    0 (no block in its own mapping) and a trim threshold never reached, freed memory stays in the heap for
    reuse (a quarter of a training step saved on a 2-core CPU; figures in docs/performance.md). The cost is
    fragmentation, a higher peak. So this holds only on a CPU, under glibc, when ``peak`` (the bytes the block
    may use this way) fits in the memory available, and when the user has not tuned glibc's allocator already
    (``MALLOC_*_`` or ``GLIBC_TUNABLES`` in the environment).

    Blocks may nest or overlap (threads). When the last one leaves, the free memory is returned to the system
    and glibc's settings go back to where its dynamic thresholds end in a process that has freed large blocks
    (any ``mallopt`` turns the dynamic adjustment off for good; glibc's initial 128 KB trim threshold made a later
    ``apply`` in the same process slower).
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
