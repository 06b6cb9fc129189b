"""Pattern recognition: hand-built frames (every pattern, edges, bad pixels, MIPs), brute-force reference."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xmmframe.model.flags import PN_FLAGS
from xmmframe.proc.patterns import (
    BADMAP_BRIGHT,
    BADMAP_DEAD,
    BADMAP_ONBOARD,
    empty_badmap,
    reconstruct_patterns,
)

SHAPE = (64, 200)


def run(pixels, badmap=None, ymin=1, mip=1 << 30, shape=SHAPE):
    """pixels: list of (frame, x, y, adu) on CCD 1."""
    frame = np.array([p[0] for p in pixels])
    order = np.argsort(frame, kind="stable")
    arr = np.array(pixels, dtype=np.int64)[order]
    ev = reconstruct_patterns(
        np.ones(len(arr), np.int64),
        arr[:, 0],
        arr[:, 1],
        arr[:, 2],
        arr[:, 3].astype(float),
        arr[:, 3],
        shape,
        badmap=badmap,
        ymin=ymin,
        mip_threshold=mip,
    )
    return ev, arr


# ----------------------------------------------------------------------------- brute-force reference

_EDGES = {1: (1, 0), 2: (0, -1), 3: (-1, 0), 4: (0, 1)}
_PAIRS = {1: (1, 2), 2: (2, 3), 3: (3, 4), 4: (4, 1)}
TEMPLATES = {frozenset(): 0}
for code, d in _EDGES.items():
    TEMPLATES[frozenset([d])] = code
for ori, (a, b) in _PAIRS.items():
    ea, eb = _EDGES[a], _EDGES[b]
    TEMPLATES[frozenset([ea, eb])] = 4 + ori
    TEMPLATES[frozenset([ea, eb, (ea[0] + eb[0], ea[1] + eb[1])])] = 8 + ori


def reference(pixels):
    """Pure-Python pattern recognition of one CCD: {(frame, main x, main y): (pattern, npix, adu sum)}."""
    result = {}
    by_frame = {}
    for index, (frame, x, y, adu) in enumerate(pixels):
        by_frame.setdefault(frame, {})[(x, y)] = (adu, index)
    for frame, image in by_frame.items():
        seen = set()
        for start in image:
            if start in seen:
                continue
            group, queue = [], deque([start])
            seen.add(start)
            while queue:
                x, y = queue.popleft()
                group.append((x, y))
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        nb = (x + dx, y + dy)
                        if nb in image and nb not in seen:
                            seen.add(nb)
                            queue.append(nb)
            main = max(group, key=lambda p: (image[p][0], -image[p][1]))
            offsets = frozenset((x - main[0], y - main[1]) for x, y in group if (x, y) != main)
            n = len(group)
            code = TEMPLATES.get(offsets)
            if code is not None and n == 4:
                diagonal = next(o for o in offsets if o[0] and o[1])
                low = image[(main[0] + diagonal[0], main[1] + diagonal[1])][0]
                if any(image[(main[0] + o[0], main[1] + o[1])][0] < low for o in offsets if o != diagonal):
                    code = None
            if code is None:
                code = 13 if n <= 3 else 14 if n == 4 else 15
            result[(frame, main[0], main[1])] = (code, n, sum(image[p][0] for p in group))
    return result


def kernel_result(pixels):
    ev, arr = run(pixels)
    main = ev["MAIN"]
    return {
        (int(arr[m, 0]), int(arr[m, 1]), int(arr[m, 2])): (int(p), int(n), int(a))
        for m, p, n, a in zip(main, ev["PATTERN"], ev["NPIX"], ev["ADU"], strict=False)
    }


pixel = st.tuples(st.integers(0, 3), st.integers(2, 9), st.integers(2, 9), st.integers(20, 4000))


@settings(max_examples=300, deadline=None)
@given(st.lists(pixel, min_size=1, max_size=40, unique_by=lambda p: (p[0], p[1], p[2])))
def test_kernel_equals_brute_force_on_random_frames(pixels):
    assert kernel_result(pixels) == reference(pixels)


def test_kernel_equals_brute_force_on_a_large_random_set():
    rng = np.random.default_rng(3)
    n = 20000
    raw = np.stack(
        [rng.integers(0, 300, n), rng.integers(2, 30, n), rng.integers(2, 60, n), rng.integers(20, 3000, n)],
        axis=1,
    )
    _, unique = np.unique(raw[:, :3], axis=0, return_index=True)
    pixels = [tuple(int(v) for v in raw[i]) for i in np.sort(unique)]
    assert kernel_result(pixels) == reference(pixels)


# ----------------------------------------------------------------------------- hand-built frames


@pytest.mark.parametrize(
    ("partners", "pattern"),
    [
        ([], 0),
        ([(1, 0)], 1),
        ([(0, -1)], 2),
        ([(-1, 0)], 3),
        ([(0, 1)], 4),
        ([(1, 0), (0, -1)], 5),
        ([(0, -1), (-1, 0)], 6),
        ([(-1, 0), (0, 1)], 7),
        ([(0, 1), (1, 0)], 8),
        ([(1, 0), (0, -1), (1, -1)], 9),
        ([(0, -1), (-1, 0), (-1, -1)], 10),
        ([(-1, 0), (0, 1), (-1, 1)], 11),
        ([(0, 1), (1, 0), (1, 1)], 12),
    ],
)
def test_every_valid_pattern(partners, pattern):
    pixels = [(1, 20, 50, 1000)] + [
        (1, 20 + dx, 50 + dy, 300 - 10 * k) for k, (dx, dy) in enumerate(partners)
    ]
    if len(partners) == 3:  # the diagonal pixel is the lowest
        pixels[-1] = (1, pixels[-1][1], pixels[-1][2], 100)
    ev, _ = run(pixels)
    assert ev["PATTERN"].tolist() == [pattern]
    assert ev["NPIX"].tolist() == [len(partners) + 1]
    assert ev["ADU"].tolist() == [sum(p[3] for p in pixels)]
    assert ev["FLAG"].tolist() == [0]
    kind = {0: 1, 1: 2, 2: 3, 3: 4}[len(partners)]
    assert ev["PAT_ID"][0] // 10 == kind


@pytest.mark.parametrize(
    ("pixels", "pattern"),
    [
        ([(1, 20, 50, 900), (1, 21, 51, 200)], 13),  # diagonal pair
        ([(1, 20, 50, 900), (1, 21, 50, 200), (1, 22, 50, 150)], 13),  # straight triple, main at end
        ([(1, 20, 50, 900), (1, 19, 50, 200), (1, 21, 50, 150)], 13),  # straight triple, main centre
        ([(1, 20, 50, 200), (1, 21, 50, 900), (1, 20, 51, 150)], 13),  # L with main not at corner
        (
            [(1, 20, 50, 900), (1, 21, 50, 100), (1, 20, 49, 300), (1, 21, 49, 200)],
            14,
        ),  # quad, lowest not diagonal
        ([(1, 20, 50, 900), (1, 21, 50, 100), (1, 19, 50, 300), (1, 20, 51, 200)], 14),  # T shape
        ([(1, 20 + k, 50, 900 - k) for k in range(5)], 15),  # track
    ],
)
def test_invalid_patterns_are_flagged(pixels, pattern):
    ev, _ = run(pixels)
    assert ev["PATTERN"].tolist() == [pattern]
    assert ev["FLAG"][0] & PN_FLAGS["INVALID_PATTERN"]


def test_separate_events_in_one_frame_and_frames_apart():
    pixels = [(1, 10, 50, 500), (1, 30, 50, 400), (1, 30, 51, 100), (2, 10, 50, 500)]
    ev, arr = run(pixels)
    assert sorted(ev["PATTERN"].tolist()) == [0, 0, 4]
    assert len(set(ev["PIXEL_EVENT"].tolist())) == 3


def test_ccd_edges_and_window():
    ev, _ = run(
        [(1, 1, 50, 500), (1, 64, 80, 500), (1, 30, 200, 500), (1, 30, 13, 500), (1, 30, 100, 500)], ymin=13
    )
    border = PN_FLAGS["CLOSE_TO_CCD_BORDER"]
    flagged = sorted((int(f) & border) > 0 for f in ev["FLAG"])
    assert flagged == [False, True, True, True, True]


def test_bad_pixel_neighbourhood_and_hot_pixels():
    bad = empty_badmap(2, SHAPE)
    bad[1, 50, 20] = BADMAP_BRIGHT
    bad[1, 80, 40] = BADMAP_ONBOARD
    bad[1, 120, 10] = BADMAP_DEAD
    pixels = [(1, 20, 50, 300), (1, 21, 50, 600), (1, 41, 81, 500), (1, 11, 121, 500), (1, 50, 150, 500)]
    ev, arr = run(pixels, badmap=bad)
    by_main = {
        (int(arr[m, 1]), int(arr[m, 2])): (int(p), int(f))
        for m, p, f in zip(ev["MAIN"], ev["PATTERN"], ev["FLAG"], strict=False)
    }
    # the hot pixel is not merged with its neighbour: two singles
    assert by_main[(20, 50)] == (0, PN_FLAGS["ON_BADPIX"])
    assert by_main[(21, 50)] == (0, PN_FLAGS["CLOSE_TO_BRIGHTPIX"])
    assert by_main[(41, 81)] == (0, PN_FLAGS["CLOSE_TO_ONBOARD_BADPIX"])
    assert by_main[(11, 121)] == (0, PN_FLAGS["CLOSE_TO_DEADPIX"])
    assert by_main[(50, 150)] == (0, 0)


def test_mip_rejection_flags_the_mip_and_its_columns():
    pixels = [(1, 30, 60 + k, 3500 if k == 2 else 800) for k in range(6)]  # a MIP track along a column
    pixels += [(1, 31, 120, 400), (1, 45, 120, 400), (2, 31, 120, 400)]
    ev, arr = run(pixels, mip=3000)
    flags = {(int(arr[m, 0]), int(arr[m, 1]), int(arr[m, 2])): int(f) for m, f in zip(ev["MAIN"], ev["FLAG"], strict=False)}
    mip = PN_FLAGS["MIP_ASSOCIATED"]
    assert flags[(1, 30, 62)] & mip  # the MIP itself
    assert flags[(1, 31, 120)] & mip  # same frame, next column
    assert not flags[(1, 45, 120)] & mip  # same frame, far column
    assert not flags[(2, 31, 120)] & mip  # next frame
