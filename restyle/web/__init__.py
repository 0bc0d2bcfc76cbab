"""The web page (``restyle web``): paint photos with a preset or any painting, and videos, in a browser.

``jobs`` does the work (no Gradio), ``page`` lays it out with Gradio, ``server`` serves it. Needs the ``web``
extra: pip install restyle[web].
"""
