"""The optimizer engine (Gatys, Ecker & Bethge): the pixels of one image optimized, scale by scale.

options -> schedule -> planning (memory) -> objective / tiling (the loss over the image) -> transfer (the loop).
"""
