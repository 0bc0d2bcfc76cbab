"""Shared fixtures: tiny images on disk, the repo's example images, and a CLI runner."""

from __future__ import annotations

import contextlib
import os

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils._python_dispatch import TorchDispatchMode

from restyle import cli

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "restyle" / "examples"


#: The device the suite runs on: ``RESTYLE_TEST_DEVICE`` (cpu by default; cuda for a run on a GPU machine). Tests of
#: CPU-only behaviour (recorded pixels, glibc's allocator, the CPU's bf16 detection) name the CPU themselves.
DEVICE = os.environ.get("RESTYLE_TEST_DEVICE", "cpu")

#: The suite runs in parallel processes (pytest-xdist, ``-n`` in ``pyproject.toml``), each with its share of the
#: cores for PyTorch's threads: the suite's many small tensors keep two threads of one process far less busy than
#: two processes of one thread each (docs/architecture.md). The processes the tests start keep PyTorch's default.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:  # PyTorch's own count (its cores, or OMP_NUM_THREADS), shared out
    torch.set_num_threads(max(1, torch.get_num_threads() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))


def pytest_collection_modifyitems(items):
    """The tests that run together in one process (``xdist_group``: a server, a browser, a Ray cluster) first, so
    that the other process takes the rest meanwhile and neither waits on the other at the end."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def pytest_addoption(parser):
    parser.addoption("--screenshots", metavar="DIR", help="where the browser tests save their pictures of the page "
                     "(default: each test's temporary folder); docs/images holds the README's")


@pytest.fixture
def device() -> torch.device:
    """The device the suite runs on (``DEVICE``)."""
    return torch.device(DEVICE)


class Float64Ops(TorchDispatchMode):
    """Within the block, records the name of every operation that produces a float64 tensor (``ops``): MPS has
    no float64, so code meant for every device must not use it."""

    def __init__(self):
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        results = out if isinstance(out, (tuple, list)) else [out]
        if any(isinstance(t, torch.Tensor) and t.dtype == torch.float64 for t in results):
            self.ops.append(str(func))
        return out


@pytest.fixture
def content_path(tmp_path):
    path = tmp_path / "content.png"
    Image.open(EXAMPLES / "tubingen.jpg").resize((64, 48)).save(path)
    return path


@pytest.fixture
def style_path(tmp_path):
    path = tmp_path / "style.png"
    Image.open(EXAMPLES / "starry_night.jpg").resize((64, 50)).save(path)
    return path


@pytest.fixture
def keep_memory_calls(monkeypatch):
    """``spy_on(module)`` wraps that module's ``keep_freed_memory``; the list it returns gets (device type, peak,
    whether memory was kept) on entering each block and "left" on leaving it."""

    def spy_on(module):
        calls, real = [], module.keep_freed_memory

        @contextlib.contextmanager
        def spy(device, peak):
            with real(device, peak) as kept:
                calls.append((device.type, peak, kept))
                try:
                    yield kept
                finally:
                    calls.append("left")

        monkeypatch.setattr(module, "keep_freed_memory", spy)
        return calls

    return spy_on


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""

    def run(*args):
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


#: Python that prints its process's own peak resident memory in bytes: VmHWM, not getrusage's ru_maxrss, which
#: after fork + exec still counts the parent's (the test runner's) memory on Linux.
PEAK_RSS = "print(next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')))"


def gradient_image(h: int = 16, w: int = 16) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x / (w - 1), y / (h - 1), np.full((h, w), 0.5)], axis=2).astype(np.float32)


def halves(h: int = 48, w: int = 64) -> np.ndarray:
    """A grey-level mask of two regions: 0 on the left half, 255 on the right."""
    mask = np.zeros((h, w), np.uint8)
    mask[:, w // 2:] = 255
    return mask
