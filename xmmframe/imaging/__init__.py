"""Imaging tasks: exposure maps, mosaics, source detection and pile-up diagnostics.

These answer "how long was each sky pixel exposed, where are the sources, is this source
piled up" for the images of :mod:`xmmframe.products` (SAS ``eexpmap``, ``emosaic``,
``eboxdetect``/``esplinemap``/``emldetect`` and ``epatplot``).
"""
