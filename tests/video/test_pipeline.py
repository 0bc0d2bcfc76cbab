import subprocess
import sys
import threading

import numpy as np
import pytest

import restyle
from restyle.errors import RestyleError
from restyle.video import temporal
from restyle.video.metrics import warping_error
from restyle.video.pipeline import ModelPainter, Steady, iter_video, stylize_video
from tests.conftest import DEVICE, EXAMPLES, PEAK_RSS, halves
from tests.video.conftest import audio_packets, decoded, pan, write_clip


def test_the_metric_is_zero_for_a_pure_pan_and_large_for_noise():
    frames = pan(6, size=(128, 96), step=2)
    assert warping_error(frames, frames) < 2e-3
    noise = [np.random.default_rng(i).integers(0, 256, f.shape, dtype=np.uint8) for i, f in enumerate(frames)]
    assert warping_error(noise, frames) > 0.1


def test_the_metric_leaves_out_the_pair_across_a_cut():
    first, second = pan(3, size=(128, 96)), pan(3, size=(128, 96), name="chelsea_cat.png")
    noise = [np.random.default_rng(i).integers(0, 256, f.shape, dtype=np.uint8) for i, f in enumerate(first + second)]
    both = warping_error(noise, first + second)
    assert both == pytest.approx((warping_error(noise[:3], first) + warping_error(noise[3:], second)) / 2)


def test_a_preset_video_flickers_less_with_the_temporal_weight():
    frames = pan(8, size=(128, 96), step=2)
    model = restyle.load_model(preset="starry_night", device=DEVICE)
    alone = list(iter_video(frames, model=model, temporal_weight=0))
    steady = list(iter_video(frames, model=model))
    assert all(np.array_equal(a, model.frame(f)) for a, f in zip(alone, frames))  # weight 0: independent frames
    assert warping_error(steady, frames) < 0.6 * warping_error(alone, frames)


def test_a_cut_starts_afresh():
    frames = pan(3, size=(128, 96)) + pan(3, size=(128, 96), name="chelsea_cat.png")
    follower = temporal.Follower()
    seen = [follower(f) is not None for f in frames]
    assert seen == [False, True, True, False, True, True] and follower.cuts == 1


def test_the_optimizer_paints_a_video_each_frame_from_the_last(tmp_path, clip):
    out = stylize_video(clip, tmp_path / "o.mp4", styles=[EXAMPLES / "starry_night.jpg"],
                        options=restyle.Options(iterations=2, device=DEVICE), size=48)
    frames = decoded(out)
    assert len(frames) == 12 and frames[0].shape == (32, 48, 3)
    assert audio_packets(out) == audio_packets(clip)


def test_cancel_writes_a_playable_file_of_the_frames_done(tmp_path, clip):
    cancel = threading.Event()

    def stop_at_5(p):
        if p.frame == 5:
            cancel.set()

    out = stylize_video(clip, tmp_path / "o.mkv", preset="the_scream", callback=stop_at_5, cancel=cancel)
    assert len(decoded(out)) == 5


@pytest.mark.parametrize("style", [dict(), dict(preset="starry_night", model="x.safetensors")])
def test_exactly_one_kind_of_style(tmp_path, clip, style):
    with pytest.raises(RestyleError, match="exactly one kind of style"):
        stylize_video(clip, tmp_path / "o.mp4", **style)
    assert not (tmp_path / "o.mp4").exists()


def test_a_model_of_several_styles_paints_the_mix_asked(tmp_path, clip):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    two = save_model(lively_net(width=8, blocks=1, styles=2), tmp_path / "two.safetensors",
                     {"styles": [{"name": "a"}, {"name": "b"}]})
    frames = decoded(clip)[:2]
    painted = list(iter_video(frames, model=two, mix="b:1", temporal_weight=0))
    by_model = restyle.load_model(two, mix="b", device=DEVICE)
    assert all(np.array_equal(p, by_model.frame(f)) for p, f in zip(painted, frames))
    for style in (dict(preset="starry_night"), dict(model=by_model)):
        with pytest.raises(RestyleError, match="mix chooses among the styles of a model"):
            stylize_video(clip, tmp_path / "o.mp4", mix="b", **style)
    assert not (tmp_path / "o.mp4").exists()


def test_coarse_paints_each_frame_in_two_passes_and_only_with_models(tmp_path, clip):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    model_file = save_model(lively_net(width=8, blocks=1), tmp_path / "m.safetensors", {"style_name": "m"})
    frames = decoded(clip)[:2]
    painted = list(iter_video(frames, model=model_file, coarse=0.5, temporal_weight=0, options=restyle.Options(
        device=DEVICE)))
    two_passes = restyle.load_model(model_file, coarse=0.5, device=DEVICE)
    assert all(np.array_equal(p, two_passes.frame(f)) for p, f in zip(painted, frames))
    for style, message in ((dict(styles=["painting.jpg"]), "coarse is for presets and model files"),
                           (dict(model=two_passes), "a loaded model has its own"),
                           (dict(preset="starry_night", coarse=1.5), "coarse must be between 0 and 1")):
        with pytest.raises(RestyleError, match=message):
            stylize_video(clip, tmp_path / "o.mp4", **{"coarse": 0.5, **style})
    assert not (tmp_path / "o.mp4").exists()


def test_noise_is_the_same_on_every_frame_and_only_with_models(tmp_path, clip):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    model_file = save_model(lively_net(width=8, blocks=1), tmp_path / "m.safetensors", {"style_name": "m"})
    frame = decoded(clip)[0]
    painted = list(iter_video([frame, frame], model=model_file, noise=0.05, temporal_weight=0,
                              options=restyle.Options(device=DEVICE)))
    noisy = restyle.load_model(model_file, noise=0.05, device=DEVICE)
    assert np.array_equal(painted[0], noisy.frame(frame)) and np.array_equal(painted[1], painted[0])  # no flicker
    assert not np.array_equal(painted[0], restyle.load_model(model_file, device=DEVICE).frame(frame))
    for style, message in ((dict(styles=["painting.jpg"]), "noise is for presets and model files"),
                           (dict(model=noisy), "a loaded model has its own"),
                           (dict(preset="starry_night", noise=0.9), "noise must be at most 0.5")):
        with pytest.raises(RestyleError, match=message):
            stylize_video(clip, tmp_path / "o.mp4", **{"noise": 0.05, **style})
    assert not (tmp_path / "o.mp4").exists()


def test_noise_moves_with_the_scene_on_a_pan(tmp_path):
    # Painted on a canvas that follows the camera, the noise lies in the scene, as the strokes do: where two frames
    # of a pan overlap, their paintings agree as well as without noise; painted independently, the noise stays put.
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    path = save_model(lively_net(width=8, blocks=1), tmp_path / "m.safetensors", {"style_name": "m"})
    frames = pan(2, size=(128, 96), step=8)

    def overlap_difference(noise: float, weight: float) -> float:
        model = restyle.load_model(path, noise=noise, device=DEVICE, precision="fp32")
        first, second = iter_video(frames, model=model, temporal_weight=weight)
        return float(np.abs(second[:, :-8].astype(int) - first[:, 8:])[16:-16, 16:-24].mean())

    steady = overlap_difference(0.1, 0.5)
    assert steady < overlap_difference(0, 0.5) + 0.5 and overlap_difference(0.1, 0) > 10 * steady
    model = restyle.load_model(path, noise=0.1, device=DEVICE)
    painter = ModelPainter(model, strength=0.5)
    assert np.array_equal(painter(frames[0], (4, -8)), np.asarray(model(frames[0], strength=0.5, origin=(4, -8))))


def test_models_keep_freed_memory_from_frame_to_frame_where_asked(tmp_path, clip, keep_memory_calls):
    import torch

    from restyle.core import memory
    calls, device = keep_memory_calls(memory), torch.device(DEVICE)
    stylize_video(clip, tmp_path / "o.mp4", preset="the_scream", options=restyle.Options(device=DEVICE))
    assert calls == []  # off by default: it tunes the allocator of the whole process
    keep = restyle.Options(device=DEVICE, keep_freed_memory=True)
    stylize_video(clip, tmp_path / "o.mp4", preset="the_scream", options=keep)
    [(kind, peak, _), left] = calls  # one block, up to the default budget (within which passes are planned)
    assert kind == device.type and 0 < peak <= memory.DEFAULT_BUDGET and left == "left"
    calls.clear()
    frames = iter_video(clip, preset="the_scream", options=keep)
    next(frames)
    assert len(calls) == 1  # held while the frames come,
    frames.close()
    assert calls[-1] == "left"  # and left when the caller stops
    calls.clear()
    stylize_video(clip, tmp_path / "o.mp4", preset="the_scream", options=keep.replace(max_memory=4.0))
    stylize_video(clip, tmp_path / "o.mp4", styles=[EXAMPLES / "starry_night.jpg"], size=32,
                  options=keep.replace(iterations=1))  # the optimizer keeps its own within each frame
    assert calls == []


def test_memory_does_not_grow_with_the_length(tmp_path):
    # Peak memory painting 30 and 300 frames of the same small clip, each in a process of its own, freed memory
    # kept from frame to frame as the command line keeps it.
    peaks = []
    for n in (30, 300):
        clip = write_clip(tmp_path / f"c{n}.mp4", (pan(30, size=(64, 48)) * (n // 30)), audio=True)
        run = ("from restyle.video.pipeline import stylize_video; "
               f"stylize_video({str(clip)!r}, {str(tmp_path / f'o{n}.mp4')!r}, preset='starry_night', "
               f"options=__import__('restyle').Options(device={DEVICE!r}, keep_freed_memory=True)); "
               + PEAK_RSS)
        done = subprocess.run([sys.executable, "-c", run], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        peaks.append(int(done.stdout.split()[-1]))
    assert peaks[1] < 1.1 * peaks[0]


def test_a_stopped_run_resumes_with_every_frame_once_and_the_sound(tmp_path, clip):
    from restyle.video.io import info
    cancel = threading.Event()

    def stop_at_5(p):
        if p.frame == 5:
            cancel.set()

    out = tmp_path / "o.mp4"
    stylize_video(clip, out, preset="the_scream", callback=stop_at_5, cancel=cancel)
    partial = decoded(out)
    assert len(partial) == 5 and (tmp_path / "o.mp4.resume.json").exists()
    with pytest.raises(RestyleError, match="other settings"):
        stylize_video(clip, out, preset="starry_night", resume=True)
    stylize_video(clip, out, preset="the_scream", resume=True)
    frames = decoded(out)
    assert len(frames) == 12 and info(out).duration == pytest.approx(info(clip).duration, abs=0.05)
    assert np.abs(frames[4].astype(int) - partial[4]).mean() < 3  # kept (encoded once more)
    assert audio_packets(out) == audio_packets(clip)
    assert not list(tmp_path.glob("o.mp4.resume.*"))
    with pytest.raises(RestyleError, match="no stopped run to resume"):
        stylize_video(clip, out, preset="the_scream", resume=True)


def test_frames_from_an_iterable_are_checked_and_a_reused_buffer_is_safe():
    frames = pan(4, size=(64, 48), step=2)
    model = restyle.load_model(preset="starry_night", device=DEVICE)

    def reused():
        buffer = np.empty_like(frames[0])
        for f in frames:
            buffer[:] = f  # the caller's one buffer, overwritten for each frame (as camera loops do)
            yield buffer

    assert all(np.array_equal(a, b) for a, b in zip(iter_video(reused(), model=model), iter_video(frames, model=model)))
    with pytest.raises(RestyleError, match=r"a frame must be an \(H, W, 3\) uint8 array"):
        list(iter_video([np.zeros((8, 8), np.float32)], model=model))


def test_each_result_carries_the_ones_before_it():
    # A still camera (flow 0, reliable everywhere) and a painter that paints 100, 200, then 0 everywhere: with
    # weight 0.5 each result is half its own painting and half the last result: 100, 150, 75.
    class Painter(ModelPainter):
        def __init__(self):
            self.values = iter([100, 200, 0])

        def __call__(self, frame, origin=(0, 0)):
            return np.full_like(frame, next(self.values))

    frames = [pan(1, size=(64, 48))[0]] * 3
    steady = Steady(Painter(), 0.5)
    results = [steady(*steady.follow(f)) for f in frames]
    assert [int(r.mean().round()) for r in results] == [100, 150, 75]
    assert all(r.min() == r.max() for r in results)



def test_regions_hold_their_place_in_the_frame_while_strokes_follow_the_camera():
    frames = pan(6, size=(128, 96), step=2)
    model = restyle.load_model(preset="starry_night", device=DEVICE)
    regions = {"0": model, "255": "none"}
    painted = list(iter_video(frames, regions=regions, mask=halves(96, 128)))
    alone = list(iter_video(frames, model=model))
    for out, frame, whole in zip(painted, frames, alone):
        assert np.abs(out[:, 64:].astype(int) - frame[:, 64:]).max() <= 1  # the photo kept, in the frame's place
        assert np.abs(out[:, :64].astype(int) - whole[:, :64]).mean() < 3  # the same strokes as the whole frame's
    still = list(iter_video(frames, regions=regions, mask=halves(96, 128), temporal_weight=0))
    assert np.array_equal(still[0][:, :60], model.frame(frames[0])[:, :60])


def test_regions_are_one_kind_of_style(tmp_path, clip):
    with pytest.raises(RestyleError, match="exactly one kind of style"):
        stylize_video(clip, tmp_path / "o.mp4", preset="starry_night", regions={"0": "starry_night"},
                      mask=halves(96, 128))
    assert not (tmp_path / "o.mp4").exists()
