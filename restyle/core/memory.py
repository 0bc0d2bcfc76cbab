"""Memory: the budget a run may use, what the process holds, and keeping freed CPU memory for reuse (glibc)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Iterator, Optional, Union

import torch

from ..errors import RestyleError
from .device import resolve_device

GB = 10**9
#: Default budget: what a 12 GB graphics card, or this much of a computer's RAM, can give a run.
DEFAULT_BUDGET = 12 * GB


def default_budget(device: torch.device) -> int:
    """The budget of a run given none: 12 GB, or less where less is free (``run_budget``)."""
    return run_budget(device, None)


def run_budget(device: torch.device, max_memory: Optional[float]) -> int:
    """Bytes a run may take: ``max_memory`` GB (default 12), capped by what is free now: 90% of a GPU's free
    memory, 80% of the RAM available (within a container's limit). What the process already holds is not free,
    so it is never counted against the run twice."""
    asked = DEFAULT_BUDGET if max_memory is None else int(max_memory * GB)
    return int(min(asked, (0.9 if device.type == "cuda" else 0.8) * free_memory(device)))


def free_memory(device: torch.device) -> int:
    """Bytes the process can still allocate on ``device``: a GPU's free memory plus what PyTorch's allocator
    keeps cached for reuse; on the CPU, ``available_ram``."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return available_ram()


def available_ram() -> int:
    """Bytes of RAM available without swapping: Linux's MemAvailable (within a cgroup's memory limit, where a
    container sets one), else all of it, else 12 GB."""
    try:
        with open("/proc/meminfo") as f:
            found = next((int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")), None)
    except OSError:
        found = None
    if found is None:
        try:
            found = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return DEFAULT_BUDGET
    left = _cgroup_left()
    return found if left is None else min(found, left)


#: A cgroup's memory limit and usage: version 2, then version 1 (where a limit of 2^63 rounded down means none).
_CGROUP_FILES = [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                 ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")]


def _cgroup_left() -> Optional[int]:
    """Bytes the process's cgroup may still take before its memory limit, or None without a limit."""
    for limit_file, usage_file in _CGROUP_FILES:
        try:
            with open(limit_file) as f:
                limit = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= 1 << 60:
            return None
        return max(0, int(limit) - usage)
    return None


@contextlib.contextmanager
def out_of_memory_as_error() -> Iterator[None]:
    """Within the block, a GPU's out-of-memory error becomes one RestyleError line naming the option to change."""
    try:
        yield
    except torch.cuda.OutOfMemoryError:
        raise RestyleError("the GPU ran out of memory (another program may hold some of it); lower max_memory, "
                           "so the work is planned in smaller pieces, or size") from None


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


def release_freed_memory() -> None:
    """Hand the memory that finished work freed back to the system (glibc's ``malloc_trim``; a no-op elsewhere,
    and while ``keep_freed_memory`` holds it on purpose). For servers between jobs: without it, memory freed by
    jobs that ran on different threads stays in each thread's arena (a web page grew from 519 to 789 MB over 30
    jobs; docs/performance.md)."""
    libc = _glibc()
    if libc is not None and _kept["depth"] == 0:
        libc.malloc_trim(0)


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


def keep_freed_memory_between_passes(device: Union[str, torch.device], max_memory: Optional[float] = None, *,
                                     asked: bool = True) -> contextlib.AbstractContextManager:
    """``keep_freed_memory`` across the passes of style models over many images or frames on ``device`` (a name
    such as "auto", or a device), each planned within the default budget (in tiles where an image needs more), so
    the budget is the peak; nothing kept unless ``asked``, nor where ``max_memory`` is given, which then binds, as
    the optimizer keeps none then (on a 2-core CPU applies 4-20% faster by size, for up to 1.6 times the peak
    memory; docs/performance.md)."""
    if not asked or max_memory is not None:
        return contextlib.nullcontext(False)
    device = resolve_device(device) if isinstance(device, str) else device
    return keep_freed_memory(device, default_budget(device))
