"""Exercise pictures drawn from joint angles (``content/poses.yaml``): a still and a looping
animation of every exercise, in one style, with the moving part and its direction marked
and no text baked in.

``library.PictureLibrary`` is what the engine uses: it draws a picture once and caches the
bytes on disk (keyed by exercise id, the pose data's hash and the renderer's version) and in
memory. The drawing modules (``figure``, ``paint``, ``scene``, ``skeleton``) import Pillow and
numpy and are loaded only when something is drawn.
"""
