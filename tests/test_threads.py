"""Thread safety: calls made at once from several threads give the pixels and numbers of the same calls made one
after another (a server or a batch runner calls restyle this way)."""

import functools
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import restyle
from restyle.feedforward.modelfile import save_model
from tests.feedforward.conftest import lively_net, random_photo


def _at_once(jobs: list) -> list:
    """Run the callables ``jobs`` in threads started together; their results in order."""
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _pixels(image) -> np.ndarray:
    return np.asarray(image)


def test_stylize_and_a_shared_scorer_in_threads_equal_sequential(content_path, style_path, device):
    runs = [dict(seed=1, init="noise"), dict(seed=2, style_weight=100.0)]
    jobs = [lambda o=o: restyle.stylize(content_path, style_path, size=32, iterations=3, device=device.type, **o)
            for o in runs]
    alone = [_pixels(job()) for job in jobs]
    together = [_pixels(im) for im in _at_once(jobs)]
    assert all(np.array_equal(a, b) for a, b in zip(alone, together))
    scorer = restyle.Scorer(content_path, style_path, device=device.type, size=64)  # one, shared
    scores = [functools.partial(scorer, im) for im in alone]
    assert [s() for s in scores] == _at_once(scores)


def test_one_style_model_shared_by_threads_whole_and_tiled(tmp_path, device):
    # a small network (one residual block: a 24 px halo, so cheap tiles); sharing does not depend on its size
    path = save_model(lively_net(blocks=1, width=16), tmp_path / "m.safetensors", {"style_name": "test"})
    photos = [random_photo(60, 180, seed) for seed in range(2)]
    for tile_size in (None, 48):  # 48: tiles with interior edges (180 > 48 + 2 halos), whole-image norm statistics
        model = restyle.load_model(path, device=device.type, precision="fp32", tile_size=tile_size)
        jobs = [functools.partial(model.frame, p) for p in photos] + \
            [functools.partial(lambda m, p: _pixels(m(p)), model, p) for p in photos]
        alone = [job() for job in jobs]
        together = _at_once(jobs)
        assert all(np.array_equal(a, b) for a, b in zip(alone, together))
    assert len({a.tobytes() for a in alone}) == len(photos)  # two photos, two results (each twice)
