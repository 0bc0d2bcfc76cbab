"""The Ray backend on a small local Ray cluster: the same files as the local backend, a killed worker's job run
again, and the actor pool's size."""

import os
import signal
import subprocess
import threading

import numpy as np
import pytest
from PIL import Image

from restyle.batch.cluster import _check_reachable, _chunks, pool_size
from restyle.batch.jobs import Job, Style
from restyle.batch.run import run_batch
from restyle.errors import RestyleError
from tests.conftest import DEVICE

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.xdist_group("ray")  # one Ray cluster at a time on the machine (the guest test starts one)


@pytest.fixture(scope="module")
def cluster():
    import logging
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


@pytest.mark.parametrize("resources, jobs, size", [
    ({"CPU": 2.0}, 10, (1, 0)), ({"CPU": 16.0}, 10, (10, 0)), ({"CPU": 16.0}, 100, (15, 0)),
    ({"CPU": 1.0}, 5, (1, 0)), ({"CPU": 32.0, "GPU": 4.0}, 100, (4, 1)), ({"CPU": 32.0, "GPU": 4.0}, 2, (2, 1))])
def test_the_pool_leaves_a_cpu_to_ray_and_takes_one_actor_per_gpu(resources, jobs, size):
    assert pool_size(resources, jobs) == size


def test_chunks_hold_model_jobs_of_one_style_and_each_optimizer_job_alone():
    wave, scream, painting = Style("preset", "great_wave"), Style("preset", "the_scream"), Style("painting", "p.jpg")
    work = [(Job(str(i), style, ()), "") for i, style in enumerate([wave] * 5 + [scream, painting, painting])]
    sizes = [[int(job.photo) for job, _ in chunk] for chunk in _chunks(work, 2)]
    assert sizes == [[0, 1], [2, 3], [4], [5], [6], [7]]


def test_an_address_where_nothing_answers_is_one_line():
    with pytest.raises(RestyleError, match="no Ray cluster answers at 127.0.0.1:1"):
        _check_reachable("127.0.0.1:1")
    _check_reachable("auto")  # Ray's to resolve
    _check_reachable(None)


def test_ray_paints_the_files_the_local_backend_does(cluster, photos, style_path, tmp_path):
    styles = ["great_wave", str(style_path)]
    on_ray = run_batch([str(photos)], tmp_path / "ray", styles, backend="ray", size=24, iterations=3, seed=1,
                       device=DEVICE)
    assert on_ray.ok and on_ray.done == 6
    local = run_batch([str(photos)], tmp_path / "local", styles, size=24, iterations=3, seed=1, device=DEVICE)
    for path in (tmp_path / "local").rglob("*.png"):
        other = tmp_path / "ray" / path.relative_to(tmp_path / "local")
        difference = np.abs(np.asarray(Image.open(path), np.int16) - np.asarray(Image.open(other), np.int16))
        assert difference.max() <= 2, path
    assert local.done == 6
    again = run_batch([str(photos)], tmp_path / "ray", styles, size=24, iterations=3, seed=1, device=DEVICE)
    assert again.skipped == 6  # the local backend takes the Ray backend's outputs as finished


def ray_workers() -> list[int]:
    """The processes running a batch worker's job."""
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in ps.splitlines() if "ray::Worker.run" in line]


def test_a_worker_killed_mid_job_has_its_job_run_again(cluster, photos, style_path, tmp_path):
    killed = []

    def kill_the_first_worker():
        for _ in range(600):
            pids = ray_workers()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            threading.Event().wait(0.05)

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    summary = run_batch([str(photos / "a.png")], tmp_path / "out", [str(style_path)], backend="ray", size=48,
                        iterations=60, seed=1, device=DEVICE)
    killer.join()
    assert killed, "no worker was seen at work"
    assert summary.ok and summary.done == 1
    assert Image.open(tmp_path / "out" / style_path.stem / "a.png").size == (48, 32)
