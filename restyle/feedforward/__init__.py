"""The feed-forward engine (Johnson et al. 2016): style models trained on photos, then applied in one pass.

network (the model) <- modelfile (its file, the presets) <- runtime (applying it; tiled, onnx) and
dataset -> training (making one).
"""
