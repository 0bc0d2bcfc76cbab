from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from restyle.errors import RestyleError
from restyle.video import io
from tests.video.conftest import audio_packets, av, decoded, pan, write_clip


@pytest.mark.parametrize("ext, audio", [(".mp4", "aac"), (".mkv", "aac"), (".webm", "opus"), (".gif", None)])
def test_frames_timing_and_sound_are_kept(clip, tmp_path, ext, audio):
    out = tmp_path / f"out{ext}"
    with io.open_video(clip) as c:
        v = c.streams.video[0]
        writer = io.VideoWriter(out, rate=v.average_rate, time_base=v.time_base, size=(96, 64),
                                audio=c.streams.audio[0])
        for kind, item in io.frames_and_audio(c):
            if kind == "audio":
                writer.mux_audio(item)
            else:
                writer.write(255 - item.image, item.pts, item.time_base)
        writer.close()
    src, got = io.info(clip), io.info(out)
    assert src.frames == len(decoded(out)) == len(decoded(clip)) == 12
    assert abs(got.frames - 12) <= (0 if ext in (".mp4", ".gif") else 1)  # MKV, WebM: estimated from the duration
    assert got.rate == src.rate and abs(got.duration - src.duration) < 0.1
    assert got.audio == audio
    if audio == "aac":
        assert audio_packets(out) == audio_packets(clip)  # copied untouched
    assert not list(tmp_path.glob(".*.tmp"))


def test_odd_sides_are_padded_for_yuv420p_and_frames_can_be_scaled(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", pan(3, size=(96, 64)), audio=False)
    with io.open_video(clip) as c:
        frames = [f.image for kind, f in io.frames_and_audio(c, (47, 31)) if kind == "frame"]
    assert frames[0].shape == (31, 47, 3)
    assert io.even(frames[0]).shape == (32, 48, 3) and np.array_equal(io.even(frames[0])[:31, :47], frames[0])
    assert io.scaled_size(1920, 1080, 640) == (640, 360)


def test_a_video_stream_without_frames_is_refused_and_nothing_written(tmp_path):
    from restyle.video.pipeline import stylize_video
    empty = tmp_path / "empty.mkv"
    out = av.open(str(empty), "w")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    out.start_encoding()
    out.close()
    with pytest.raises(RestyleError, match="not a video file|no frames"):
        stylize_video(empty, tmp_path / "o.mp4", preset="starry_night")
    assert list(tmp_path.iterdir()) == [empty]


@pytest.mark.parametrize("case", ["missing", "directory", "text", "truncated", "audio-only", "undecodable", "jpeg",
                                  "png"])
def test_bad_videos_are_one_clear_error(clip, tmp_path, case):
    path = {"missing": tmp_path / "nope.mp4", "directory": tmp_path, "text": tmp_path / "t.mp4",
            "truncated": tmp_path / "cut.mp4", "audio-only": tmp_path / "a.m4a",
            "undecodable": tmp_path / "garbage.mkv", "jpeg": tmp_path / "photo.jpg",
            "png": tmp_path / "photo.png"}[case]
    if case == "text":
        path.write_text("not a video")
    elif case == "undecodable":  # a container FFmpeg opens, of frames it cannot decode
        _garbage_frames(path)
    elif case == "truncated":
        path.write_bytes(clip.read_bytes()[:400])
    elif case in ("jpeg", "png"):  # FFmpeg reads a still image as a video of one frame
        Image.fromarray(pan(1)[0]).save(path)
    elif case == "audio-only":
        out = av.open(str(path), "w")
        out.add_stream("aac", rate=44100)
        out.close()
    for read in (lambda: list(io.frames_and_audio(io.open_video(path))), lambda: io.rotation(path)):
        with pytest.raises(RestyleError) as info:
            read()
        assert "\n" not in str(info.value) and (case not in ("jpeg", "png") or "still image" in str(info.value))


def _garbage_frames(path):
    """An MKV of two "JPEG" frames that are not JPEG."""
    out = av.open(str(path), "w")
    stream = out.add_stream("mjpeg", rate=25)
    stream.width, stream.height, stream.pix_fmt, stream.time_base = 64, 48, "yuvj420p", Fraction(1, 25)
    out.start_encoding()
    for t in range(2):
        packet = av.Packet(b"not a jpeg" * 20)
        packet.stream, packet.pts, packet.dts, packet.time_base = stream, t, t, Fraction(1, 25)
        out.mux(packet)
    out.close()


def test_the_rotation_flag_is_kept(tmp_path):
    from restyle.video.pipeline import stylize_video
    clip = tmp_path / "turned.mp4"
    out = av.open(str(clip), "w")
    video = out.add_stream("libx264", rate=25)
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    video.set_display_rotation(90)
    for f in pan(3, size=(64, 48)):
        for packet in video.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    out.close()
    assert io.rotation(clip) == 90
    painted = stylize_video(clip, tmp_path / "o.mp4", preset="starry_night")
    assert io.rotation(painted) == 90
    gif = stylize_video(clip, tmp_path / "o.gif", preset="starry_night")  # no flag: the frames turned instead
    shown, turned = decoded(painted)[0], decoded(gif)[0]
    assert io.rotation(gif) == 0 and turned.shape == (64, 48, 3)
    near = [np.abs(turned.astype(int) - np.rot90(shown, k)).mean() for k in (1, -1)]
    assert near[0] < near[1] / 2  # counter-clockwise, as a player turns the MP4 (GIF's 3-3-2 bit palette is coarse)


@pytest.mark.parametrize("rotation, turn", [(90, 1), (-90, 3), (180, 2), (0, 0)])
def test_a_gif_turns_its_frames_and_a_resumed_run_reads_them_turned_back(tmp_path, rotation, turn):
    from restyle.video import resume
    frames = pan(2, size=(48, 32))
    writer = io.VideoWriter(tmp_path / "o.gif", rate=25, time_base=Fraction(1, 25), size=(48, 32), rotation=rotation)
    for t, f in enumerate(frames):
        writer.write(f, t, Fraction(1, 25))
    writer.close()
    assert writer.turn == turn and decoded(tmp_path / "o.gif")[0].shape == (np.rot90(frames[0], turn)).shape
    back = list(resume.done_frames(tmp_path / "o.gif", writer.turn))
    off = [[np.abs(b.astype(int) - np.rot90(f, k)).mean() for k in (0, 2)] for b, f in zip(back, frames)]
    assert len(back) == 2 and all(right < wrong / 2 for right, wrong in off), off  # (GIF's palette is coarse)
