"""``restyle batch`` on the command line: exit codes, messages, formats, and a real process killed or stopped."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from tests.batch.conftest import save
from tests.conftest import DEVICE


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    save(folder / "a.png", 32, 48)
    save(folder / "b.png", 24, 24)
    return folder


def test_all_done_is_exit_0_and_the_summary_says_so(run_cli, photos, tmp_path):
    code, _, err = run_cli("batch", photos, "--preset", "great_wave", "--preset", "the_scream", "--format", "jpg",
                           "--size", 40, "-o", tmp_path / "out", "--device", DEVICE, "-q")
    assert code == 0, err
    assert "4 done, 0 skipped (finished before), 0 failed" in err
    assert Image.open(tmp_path / "out" / "the_scream" / "b.jpg").format == "JPEG"
    code, _, err = run_cli("batch", photos, "--preset", "great_wave", "--preset", "the_scream", "--format", "jpg",
                           "--size", 40, "-o", tmp_path / "out", "--device", DEVICE)
    assert code == 0 and "skipped 4 finished; 0 to do" in err


def test_some_failed_is_exit_3_with_each_reason(run_cli, photos, tmp_path):
    (photos / "c.png").write_text("no image")
    code, _, err = run_cli("batch", photos, "--preset", "great_wave", "-o", tmp_path / "out", "--device", DEVICE,
                           "-q")
    assert code == 3
    assert "restyle: failed (" in err and "c.png: not an image file Pillow can read" in err
    assert "2 done, 0 skipped (finished before), 1 failed" in err


@pytest.mark.parametrize("flags, message", [
    (["--preset", "mona_lisa"], "no preset named 'mona_lisa'"),
    (["-s", "nothing.jpg"], "nothing.jpg: no such file"),
    (["--preset", "great_wave", "--strength", "2"], "--strength must be between 0 and 1"),
    (["--preset", "great_wave", "--coarse", "2"], "--coarse must be between 0 and 1"),
    (["--preset", "great_wave", "--noise", "-1"], "--noise must be a finite number >= 0"),
    (["--preset", "great_wave", "--backend", "spark"], "invalid choice: 'spark'"),
    (["--preset", "great_wave", "--multiscale", "maybe"], "invalid choice: 'maybe'"),
    (["--preset", "great_wave", "--batch", "0"], "--batch must be a positive whole number"),
    ([], "give the styles"),
])
def test_bad_usage_is_exit_2_and_one_line_and_makes_no_folder(run_cli, photos, tmp_path, flags, message):
    code, _, err = run_cli("batch", photos, *flags, "-o", tmp_path / "out")
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_file_restyle_did_not_write_is_kept_and_the_message_names_the_flag(run_cli, photos, tmp_path):
    (tmp_path / "out" / "great_wave").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "out" / "great_wave" / "a.png")
    code, _, err = run_cli("batch", photos, "--preset", "great_wave", "-o", tmp_path / "out", "-q")
    assert code == 3 and "so it is kept; move it away, or try --force to replace it" in err
    assert Image.open(tmp_path / "out" / "great_wave" / "a.png").size == (4, 4)


def test_a_bad_manifest_row_names_its_line(run_cli, tmp_path):
    (tmp_path / "jobs.csv").write_text("photo,style,size\na.png,great_wave,64\nb.png,great_wave,big\n")
    code, _, err = run_cli("batch", "--manifest", tmp_path / "jobs.csv", "-o", tmp_path / "out")
    assert code == 2 and "jobs.csv:3: bad size 'big'; give a whole number" in err


def many_photos(folder, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        save(folder / f"p{i:03d}.png", 120, 160, flip=bool(i % 2))


def start(photos, out) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "restyle", "batch", str(photos), "--preset", "great_wave", "-o",
                             str(out), "--device", DEVICE, "--batch", "1", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(out, count: int, process: subprocess.Popen) -> None:
    for _ in range(1200):
        if len(list(out.rglob("p*.png"))) >= count or process.poll() is not None:
            return
        time.sleep(0.05)


def rerun(photos, out) -> str:
    result = subprocess.run([sys.executable, "-m", "restyle", "batch", str(photos), "--preset", "great_wave", "-o",
                             str(out), "--device", DEVICE, "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_killed_run_leaves_only_whole_files_and_the_rerun_goes_on(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    many_photos(photos, 40)
    process = start(photos, out)
    wait_for(out, 3, process)
    process.kill()
    process.wait()
    finished = sorted(out.rglob("p*.png"))
    assert 3 <= len(finished) < 40, "the run ended before it could be killed"
    for path in finished:
        Image.open(path).load()  # whole files only
    assert f"{40 - len(finished)} done, {len(finished)} skipped (finished before)" in rerun(photos, out)
    assert len(list(out.rglob("p*.png"))) == 40


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_stops_cleanly_with_exit_130_and_the_rerun_goes_on(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    many_photos(photos, 40)
    process = start(photos, out)
    wait_for(out, 2, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted; run the same command again to go on" in err
    done = len(list(out.rglob("p*.png")))
    assert f"{40 - done} done, {done} skipped (finished before)" in rerun(photos, out)
    pixels = np.asarray(Image.open(out / "great_wave" / "p000.png"))
    assert pixels.shape == (120, 160, 3)
