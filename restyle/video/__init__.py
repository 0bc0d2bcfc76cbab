"""Video: paint every frame of a clip with either engine, keeping its sound, timing and steadiness.

``io`` streams frames in and out (PyAV), ``flow`` finds how pixels move between frames (OpenCV's DIS optical flow)
and where that is reliable, ``temporal`` carries the last painted frame along the flow into the next, ``camera``
keeps a model's strokes on the scene as the camera moves, ``pipeline`` joins them (``iter_video``,
``stylize_video``), ``resume`` takes a stopped run up again and ``metrics`` measures flicker. Needs the ``video``
extra: pip install restyle[video].
"""

from .pipeline import iter_video, stylize_video

__all__ = ["iter_video", "stylize_video"]
