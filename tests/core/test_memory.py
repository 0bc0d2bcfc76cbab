import ctypes
import os
import sys

import pytest
import torch

from restyle.core import memory as device_module
from restyle.core.memory import (
    DEFAULT_BUDGET,
    GB,
    available_ram,
    default_budget,
    keep_freed_memory,
    keep_freed_memory_between_passes,
    out_of_memory_as_error,
    release_freed_memory,
    run_budget,
)
from restyle.errors import RestyleError

CPU = torch.device("cpu")
glibc = pytest.mark.skipif(device_module._glibc() is None, reason="needs Linux with glibc")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mapped_for(size: int) -> int:
    """How many bytes more glibc holds in mappings of their own while a tensor of ``size`` bytes lives.

    A size above glibc's largest mmap threshold (32 MB) is raised past all the free memory of the heap, so that no
    free chunk an earlier test left in the middle of the heap can serve it whatever the settings."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    if size >= 32 << 20:
        size = max(size, libc.mallinfo2().fordblks + (1 << 20))
    before = libc.mallinfo2().hblkhd
    t = torch.empty(size, dtype=torch.uint8)
    during = libc.mallinfo2().hblkhd
    del t
    return during - before


@pytest.fixture
def untuned(monkeypatch):
    """No glibc allocator settings in the environment (restyle leaves a tuned allocator alone)."""
    for name in [k for k in os.environ if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES"]:
        monkeypatch.delenv(name)


@glibc
def test_keep_freed_memory_puts_large_blocks_in_the_heap_and_restores_the_default(untuned):
    size = 64 << 20
    assert _mapped_for(size) >= size  # glibc's default: a block this large gets a mapping of its own
    with keep_freed_memory(CPU, 1 << 20) as kept:
        assert kept
        assert _mapped_for(size) == 0  # in the heap, where freeing it keeps it for the next allocation
    with keep_freed_memory(CPU, 1 << 20), keep_freed_memory(CPU, 1 << 20):
        pass
    with keep_freed_memory(CPU, 1 << 20):
        with keep_freed_memory(CPU, 1 << 20):
            pass
        assert _mapped_for(size) == 0  # an inner block leaving does not end the outer one's
    assert _mapped_for(size) >= size  # on leaving, large blocks get their own mappings again,
    assert _mapped_for(1 << 20) == 0  # and those below 32 MB come from the heap, as glibc's dynamic threshold ends


@glibc
def test_keep_freed_memory_only_where_it_fits_and_is_not_tuned(untuned, monkeypatch):
    available = available_ram()
    assert available and available > 0
    with keep_freed_memory(CPU, available + 1) as kept:  # would not fit
        assert not kept
    with keep_freed_memory(torch.device("cuda"), 1) as kept:  # only the CPU's memory is at stake
        assert not kept
    monkeypatch.setenv("MALLOC_ARENA_MAX_", "2")  # the user tunes glibc: restyle leaves it alone
    with keep_freed_memory(CPU, 1) as kept:
        assert not kept
    assert _mapped_for(64 << 20) >= 64 << 20


def test_models_keep_freed_memory_up_to_the_default_budget_and_none_with_a_budget_given(keep_memory_calls,
                                                                                        monkeypatch):
    calls = keep_memory_calls(device_module)
    monkeypatch.setattr(device_module, "available_ram", lambda: 10 * GB)
    with keep_freed_memory_between_passes(CPU, None):
        pass
    assert calls[0][:2] == ("cpu", 8 * GB) and calls[1] == "left"  # the default budget: passes are planned within it
    calls.clear()
    with keep_freed_memory_between_passes(CPU, 2.0) as kept:  # a budget given binds: the heap could overshoot it
        assert not kept
    with keep_freed_memory_between_passes("cpu", asked=False) as kept:  # the caller's option off
        assert not kept
    assert calls == []
    with keep_freed_memory_between_passes("cpu"):  # a device's name, as options give it
        pass
    assert calls[0][:2] == ("cpu", 8 * GB)


def test_keep_freed_memory_elsewhere(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    with keep_freed_memory(CPU, 1) as kept:
        assert not kept


def test_freed_memory_goes_back_between_jobs_but_not_while_kept(monkeypatch):
    trims = []

    class Libc:
        def malloc_trim(self, pad):
            trims.append(pad)

    monkeypatch.setattr(device_module, "_glibc", Libc)
    release_freed_memory()
    assert trims == [0]
    monkeypatch.setitem(device_module._kept, "depth", 1)  # a keep_freed_memory block running (here or in a thread)
    release_freed_memory()
    assert trims == [0]
    monkeypatch.setattr(device_module, "_glibc", lambda: None)  # not glibc: nothing to do
    monkeypatch.setitem(device_module._kept, "depth", 0)
    release_freed_memory()
    assert trims == [0]


def test_default_budget_is_12_gb_at_most():
    assert 0 < default_budget(torch.device("cpu")) <= DEFAULT_BUDGET == 12 * GB


def test_the_budget_is_what_is_asked_capped_by_what_is_free(monkeypatch):
    monkeypatch.setattr(device_module, "free_memory", lambda device: 10 * GB)
    assert run_budget(CPU, None) == 8 * GB  # 80% of the free RAM, below the default 12 GB
    assert run_budget(CPU, 2) == 2 * GB and run_budget(CPU, 100) == 8 * GB
    assert run_budget(torch.device("cuda"), None) == 9 * GB  # 90% of a GPU's free memory


def test_a_process_holding_much_memory_still_paints_a_small_image(monkeypatch, content_path, style_path):
    # What the process holds is not free, and not charged again: with 1 GB free, a 64 px run fits whole.
    import restyle
    monkeypatch.setattr(device_module, "free_memory", lambda device: GB)
    logged = []
    restyle.stylize(content_path, style_path, size=64, iterations=1, device="cpu", log=logged.append)
    assert not any("tiles" in m for m in logged)


def test_available_ram_stays_within_a_containers_limit(tmp_path, monkeypatch):
    (tmp_path / "max").write_text("3000000000\n")
    (tmp_path / "current").write_text("1000000000\n")
    monkeypatch.setattr(device_module, "_CGROUP_FILES", [(tmp_path / "max", tmp_path / "current")])
    assert available_ram() <= 2 * GB
    (tmp_path / "max").write_text("max\n")  # no limit
    assert available_ram() > 0 and device_module._cgroup_left() is None


def test_a_gpu_out_of_memory_error_names_the_option():
    with pytest.raises(RestyleError, match="lower max_memory"):
        with out_of_memory_as_error():
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
