"""Pattern reconstruction: pixels above threshold in one CCD frame -> events (numba kernel).

Pixels are grouped by 8-connectivity within a CCD frame (every transmitted pixel is above the
on-board threshold, which is therefore the split threshold).  The main pixel is the group's
highest amplitude (lowest index on ties) and the group's shape relative to it gives the pattern
(SAS pn convention, sas-reference §3.1; "right" = RAWX+1, "bottom" = RAWY-1):

==========  ================================================================================
PATTERN     shape
==========  ================================================================================
0           single pixel
1, 2, 3, 4  double, partner right / bottom / left / top of the main pixel
5 - 8       triple (L shape, main pixel at the corner), partners {right, bottom}, {bottom,
            left}, {left, top}, {top, right}
9 - 12      quadruple (2 x 2, the lowest pixel diagonal to the main one), same orientations
13          invalid pattern of 2-3 pixels (diagonal pair, straight or main-not-at-corner triple)
14          invalid 4-pixel pattern (2 x 2 with the wrong lowest pixel, or not a square)
15          5 pixels or more
==========  ================================================================================

13-15 carry ``INVALID_PATTERN`` (pn bit 0).  Groups touching the CCD window edge get
``CLOSE_TO_CCD_BORDER``; pixels next to bad pixels give ``CLOSE_TO_ONBOARD_BADPIX`` (uplinked),
``CLOSE_TO_BRIGHTPIX`` (hot/flickering) or ``CLOSE_TO_DEADPIX``.  Pixels on hot/flickering
pixels are not merged with their neighbours: each becomes a single event flagged ``ON_BADPIX``.
A group with a pixel at or above the MIP threshold is a minimum ionising particle: it and every
event of the same frame whose main pixel lies within one column of the MIP's columns get
``MIP_ASSOCIATED`` (the on-board MIP rejection discards whole columns).

``PAT_ID`` packs type and orientation as ``10 * type + orientation`` (type 1 single, 2 double,
3 triple, 4 quadruple, 5 invalid; orientation 1-4 as above, 0 for singles and invalid ones).

Examples
--------
>>> import numpy as np
>>> from xmmframe.proc.patterns import reconstruct_patterns
>>> pix = dict(ccd=np.array([1, 1]), frame=np.array([7, 7]), rawx=np.array([10, 11]),
...            rawy=np.array([20, 20]), energy=np.array([900.0, 100.0]), adu=np.array([180, 20]))
>>> ev = reconstruct_patterns(**pix, shape=(64, 200))
>>> ev["PATTERN"].tolist(), ev["ENERGY"].tolist(), ev["MAIN"].tolist()
([1], [1000.0], [0])
"""

from __future__ import annotations

import numba
import numpy as np

from xmmframe.model.flags import PN_FLAGS

#: Bad-pixel map codes.
BADMAP_ONBOARD, BADMAP_BRIGHT, BADMAP_DEAD = 1, 2, 3

_INVALID = PN_FLAGS["INVALID_PATTERN"]
_BORDER = PN_FLAGS["CLOSE_TO_CCD_BORDER"]
_NEAR_ONBOARD = PN_FLAGS["CLOSE_TO_ONBOARD_BADPIX"]
_NEAR_BRIGHT = PN_FLAGS["CLOSE_TO_BRIGHTPIX"]
_NEAR_DEAD = PN_FLAGS["CLOSE_TO_DEADPIX"]
_MIP = PN_FLAGS["MIP_ASSOCIATED"]
_ON_BADPIX = PN_FLAGS["ON_BADPIX"]


@numba.njit(cache=True)
def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@numba.njit(cache=True)
def _direction(dx: int, dy: int) -> int:
    """1 right, 2 bottom, 3 left, 4 top, 0 otherwise."""
    if dx == 1 and dy == 0:
        return 1
    if dx == 0 and dy == -1:
        return 2
    if dx == -1 and dy == 0:
        return 3
    if dx == 0 and dy == 1:
        return 4
    return 0


@numba.njit(cache=True)
def _pair_orientation(d1: int, d2: int) -> int:
    """Orientation 1-4 of two orthogonal directions ({1,2}->1, {2,3}->2, {3,4}->3, {4,1}->4), else 0."""
    lo, hi = min(d1, d2), max(d1, d2)
    if lo == 0 or hi - lo == 2 or lo == hi:
        return 0
    if lo == 1 and hi == 4:
        return 4
    return lo


@numba.njit(cache=True)
def _classify(xs: np.ndarray, ys: np.ndarray, es: np.ndarray, n: int, main: int) -> tuple[int, int, int]:
    """(pattern, type, orientation) of a group of n pixels (arrays of length >= n), main pixel ``main``."""
    if n == 1:
        return 0, 1, 0
    if n >= 5:
        return 15, 5, 0
    mx, my = xs[main], ys[main]
    # the other pixels (at most three): their index and direction from the main pixel
    o0 = o1 = o2 = -1
    for j in range(n):
        if j != main:
            if o0 < 0:
                o0 = j
            elif o1 < 0:
                o1 = j
            else:
                o2 = j
    d0 = _direction(xs[o0] - mx, ys[o0] - my)
    if n == 2:
        if d0 == 0:
            return 13, 5, 0
        return d0, 2, d0
    d1 = _direction(xs[o1] - mx, ys[o1] - my)
    if n == 3:
        ori = _pair_orientation(d0, d1)
        if ori == 0:
            return 13, 5, 0
        return 4 + ori, 3, ori
    # n == 4: two edge partners and one diagonal, the diagonal being the lowest pixel
    d2 = _direction(xs[o2] - mx, ys[o2] - my)
    if d0 == 0 and d1 != 0 and d2 != 0:
        diag, e1, e2 = o0, o1, o2
    elif d1 == 0 and d0 != 0 and d2 != 0:
        diag, e1, e2 = o1, o0, o2
    elif d2 == 0 and d0 != 0 and d1 != 0:
        diag, e1, e2 = o2, o0, o1
    else:
        return 14, 5, 0
    ori = _pair_orientation(_direction(xs[e1] - mx, ys[e1] - my), _direction(xs[e2] - mx, ys[e2] - my))
    if ori == 0:
        return 14, 5, 0
    if xs[diag] - mx != xs[e1] + xs[e2] - 2 * mx or ys[diag] - my != ys[e1] + ys[e2] - 2 * my:
        return 14, 5, 0
    if es[e1] < es[diag] or es[e2] < es[diag]:
        return 14, 5, 0
    return 8 + ori, 4, ori


@numba.njit(cache=True)
def _near_flags(badmap: np.ndarray) -> np.ndarray:
    """FLAG bits each pixel gets from bad pixels among its 8 neighbours (one pass over the map)."""
    near = np.zeros(badmap.shape, dtype=np.int32)
    for c in range(badmap.shape[0]):
        for y in range(badmap.shape[1]):
            for x in range(badmap.shape[2]):
                code = badmap[c, y, x]
                if code == 0:
                    continue
                bit = (
                    _NEAR_ONBOARD
                    if code == BADMAP_ONBOARD
                    else _NEAR_BRIGHT
                    if code == BADMAP_BRIGHT
                    else _NEAR_DEAD
                )
                for dy in range(-1, 2):
                    for dx in range(-1, 2):
                        yy, xx = y + dy, x + dx
                        if (dx != 0 or dy != 0) and 0 <= yy < badmap.shape[1] and 0 <= xx < badmap.shape[2]:
                            near[c, yy, xx] |= bit
    return near


@numba.njit(cache=True)
def pattern_kernel(
    ccd: np.ndarray,
    frame: np.ndarray,
    rawx: np.ndarray,
    rawy: np.ndarray,
    energy: np.ndarray,
    adu: np.ndarray,
    badmap: np.ndarray,
    ymin: int,
    mip_threshold: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group pixels (sorted by ccd, then frame) into events.

    ``badmap[ccd, y, x]`` is indexed with RAWX/RAWY (its shape is ``(nccd, ny + 2, nx + 2)``).
    Returns per event: main pixel index, PATTERN, PAT_ID, number of pixels, summed energy,
    summed adu and FLAG bits; and per pixel the index of its event.
    """
    n = ccd.shape[0]
    nx = badmap.shape[2] - 2
    ny = badmap.shape[1] - 2
    near = _near_flags(badmap)
    img = np.full(badmap.shape, -1, dtype=np.int64)
    parent = np.arange(n)
    head = np.full(n, -1, dtype=np.int64)
    link = np.full(n, -1, dtype=np.int64)
    out_main = np.empty(n, dtype=np.int64)
    out_pattern = np.empty(n, dtype=np.uint8)
    out_patid = np.empty(n, dtype=np.int16)
    out_npix = np.empty(n, dtype=np.int16)
    out_energy = np.empty(n, dtype=np.float64)
    out_adu = np.empty(n, dtype=np.int64)
    out_flag = np.zeros(n, dtype=np.int32)
    pixel_event = np.empty(n, dtype=np.int64)
    xs = np.empty(8, dtype=np.int64)
    ys = np.empty(8, dtype=np.int64)
    es = np.empty(8, dtype=np.float64)
    mip_lo = np.empty(n, dtype=np.int64)
    mip_hi = np.empty(n, dtype=np.int64)
    nev = 0
    start = 0
    while start < n:
        end = start + 1
        while end < n and ccd[end] == ccd[start] and frame[end] == frame[start]:
            end += 1
        c = ccd[start]
        for i in range(start, end):
            img[c, rawy[i], rawx[i]] = i
        for i in range(start, end):
            x, y = rawx[i], rawy[i]
            if badmap[c, y, x] == BADMAP_BRIGHT:
                continue
            for k in range(4):  # forward neighbours: right, upper-left, up, upper-right
                dx = 1 if k == 0 or k == 3 else (-1 if k == 1 else 0)
                dy = 0 if k == 0 else 1
                j = img[c, y + dy, x + dx]
                if j >= 0 and badmap[c, y + dy, x + dx] != BADMAP_BRIGHT:
                    ri = _find(parent, i)
                    rj = _find(parent, j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
        for i in range(start, end):
            r = _find(parent, i)
            link[i] = head[r]
            head[r] = i
        first_event = nev
        nmip = 0
        for r in range(start, end):
            if parent[r] != r:
                continue
            count = 0
            total = 0.0
            total_adu = 0
            best = -1
            flag = 0
            mip = False
            lo = 1 << 30
            hi = -1
            i = head[r]
            while i >= 0:
                if count < 8:
                    xs[count] = rawx[i]
                    ys[count] = rawy[i]
                    es[count] = adu[i]
                if best < 0 or adu[i] > adu[best] or (adu[i] == adu[best] and i < best):
                    best = i
                total += energy[i]
                total_adu += adu[i]
                if adu[i] >= mip_threshold:
                    mip = True
                x, y = rawx[i], rawy[i]
                lo = min(lo, x)
                hi = max(hi, x)
                if x <= 1 or x >= nx or y <= ymin or y >= ny:
                    flag |= _BORDER
                code = badmap[c, y, x]
                if code == BADMAP_BRIGHT:
                    flag |= _ON_BADPIX | (near[c, y, x] & ~_NEAR_BRIGHT)
                else:
                    flag |= near[c, y, x]
                pixel_event[i] = nev
                count += 1
                i = link[i]
            main = 0
            for k in range(min(count, 8)):
                if xs[k] == rawx[best] and ys[k] == rawy[best]:
                    main = k
            pattern, kind, ori = _classify(xs, ys, es, count, main)
            if pattern >= 13:
                flag |= _INVALID
            if mip:
                flag |= _MIP
                mip_lo[nmip] = lo - 1
                mip_hi[nmip] = hi + 1
                nmip += 1
            out_main[nev] = best
            out_pattern[nev] = pattern
            out_patid[nev] = 10 * kind + ori
            out_npix[nev] = count
            out_energy[nev] = total
            out_adu[nev] = total_adu
            out_flag[nev] = flag
            nev += 1
        if nmip:
            for e in range(first_event, nev):
                x = rawx[out_main[e]]
                for k in range(nmip):
                    if mip_lo[k] <= x <= mip_hi[k]:
                        out_flag[e] |= _MIP
        for i in range(start, end):
            img[c, rawy[i], rawx[i]] = -1
            head[i] = -1
        start = end
    return (
        out_main[:nev],
        out_pattern[:nev],
        out_patid[:nev],
        out_npix[:nev],
        out_energy[:nev],
        out_adu[:nev],
        out_flag[:nev],
        pixel_event,
    )


def empty_badmap(nccd: int, shape: tuple[int, int]) -> np.ndarray:
    """A bad-pixel map without bad pixels: ``int8[nccd, ny + 2, nx + 2]``."""
    nx, ny = shape
    return np.zeros((nccd, ny + 2, nx + 2), dtype=np.int8)


def reconstruct_patterns(
    ccd: np.ndarray,
    frame: np.ndarray,
    rawx: np.ndarray,
    rawy: np.ndarray,
    energy: np.ndarray,
    adu: np.ndarray,
    shape: tuple[int, int],
    badmap: np.ndarray | None = None,
    ymin: int = 1,
    mip_threshold: int = 1 << 30,
) -> dict[str, np.ndarray]:
    """Events of pixels sorted by (ccd, frame): columns MAIN (pixel index), PATTERN, PAT_ID, NPIX,
    ENERGY (sum of pixel energies), ADU (sum of amplitudes) and FLAG, plus PIXEL_EVENT (the event
    index of every input pixel).

    Parameters
    ----------
    ccd, frame, rawx, rawy : numpy.ndarray
        Pixel positions, sorted by ccd then frame (order inside a frame is free).
    energy : numpy.ndarray
        Calibrated pixel energies (eV).
    adu : numpy.ndarray
        Raw amplitudes; the main pixel is the largest, MIPs are found with them.
    shape : (int, int)
        CCD size ``(nx, ny)``.
    badmap : numpy.ndarray, optional
        ``int8[nccd, ny + 2, nx + 2]`` codes 1 uplinked, 2 hot/flickering, 3 dead.
    ymin : int
        First transmitted row (pn full frame: 13); rows at or below it count as CCD border.
    mip_threshold : int
        Amplitude (adu) of a minimum ionising particle.
    """
    ccd = np.ascontiguousarray(ccd, dtype=np.int64)
    if badmap is None:
        badmap = empty_badmap(int(ccd.max(initial=0)) + 1, shape)
    main, pattern, patid, npix, total, total_adu, flag, pixel_event = pattern_kernel(
        ccd,
        np.ascontiguousarray(frame, dtype=np.int64),
        np.ascontiguousarray(rawx, dtype=np.int64),
        np.ascontiguousarray(rawy, dtype=np.int64),
        np.ascontiguousarray(energy, dtype=np.float64),
        np.ascontiguousarray(adu, dtype=np.int64),
        badmap,
        int(ymin),
        int(mip_threshold),
    )
    return {
        "MAIN": main,
        "PATTERN": pattern,
        "PAT_ID": patid,
        "NPIX": npix,
        "ENERGY": total,
        "ADU": total_adu,
        "FLAG": flag,
        "PIXEL_EVENT": pixel_event,
    }
