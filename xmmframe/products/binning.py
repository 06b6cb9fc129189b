"""The histogram kernel shared by spectra, light curves and images.

One numba kernel bins one or two columns on a regular grid: value ``v`` falls in bin
``k = floor((v - origin) / width)`` when ``0 <= k < n``; values outside, and NaN, are dropped.
This is evselect's rule: integer columns binned with edges ``origin + k*width``
(``origin = min - 0.5`` puts bin edges between integers), times with edges
``TSTART + k*TIMEDEL``.  Large inputs are split into chunks binned in parallel into private
histograms that are summed at the end, so no atomic updates are needed.

Examples
--------
>>> import numpy as np
>>> from xmmframe.products.binning import Axis, histogram
>>> histogram(np.array([0, 4, 5, 9, 10]), Axis(-0.5, 5.0, 2)).tolist()
[2, 2]
>>> histogram(np.array([1.0, 2.0]), Axis(0.5, 1.0, 2), np.array([1.0, 2.0]), Axis(0.5, 1.0, 2)).tolist()
[[1, 0], [0, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

#: Events per parallel chunk; smaller inputs are binned in one serial pass.
CHUNK = 1 << 21
#: Largest total size (bytes) of the private per-chunk histograms.
_PRIVATE_BYTES = 256 << 20


@dataclass(frozen=True)
class Axis:
    """A regular binning axis: ``n`` bins of ``width`` starting at ``origin``.

    Examples
    --------
    >>> Axis(0.5, 80.0, 648).edges()[:3].tolist()
    [0.5, 80.5, 160.5]
    """

    origin: float
    width: float
    n: int

    def edges(self) -> np.ndarray:
        """The ``n + 1`` bin edges."""
        return self.origin + self.width * np.arange(self.n + 1)

    def centres(self) -> np.ndarray:
        """The bin centres (``start + width/2``, computed as evselect does)."""
        return (self.origin + self.width * np.arange(self.n)) + self.width / 2


@numba.njit(cache=True, nogil=True)
def _bin_into(out, x, x0, xw, nx, y, y0, yw, ny, w, start, stop):  # noqa: ANN001 - numba kernel
    """Add events ``start..stop`` into ``out`` (shape (ny, nx)); ``y``/``w`` may be empty."""
    two_d = y.size > 0
    weighted = w.size > 0
    for i in range(start, stop):
        fx = (x[i] - x0) / xw
        if not (fx >= 0.0) or fx >= nx:
            continue
        ky = 0
        if two_d:
            fy = (y[i] - y0) / yw
            if not (fy >= 0.0) or fy >= ny:
                continue
            ky = int(fy)
        if weighted:
            out[ky, int(fx)] += w[i]
        else:
            out[ky, int(fx)] += 1


@numba.njit(cache=True, parallel=True)
def _bin_chunks(out, private, x, x0, xw, nx, y, y0, yw, ny, w):  # noqa: ANN001 - numba kernel
    n = x.size
    nchunks = private.shape[0]
    size = (n + nchunks - 1) // nchunks
    for c in numba.prange(nchunks):
        _bin_into(private[c], x, x0, xw, nx, y, y0, yw, ny, w, c * size, min(n, (c + 1) * size))
    for c in range(nchunks):
        for j in range(out.shape[0]):
            for k in range(out.shape[1]):
                out[j, k] += private[c, j, k]


def histogram(
    x: np.ndarray,
    xaxis: Axis,
    y: np.ndarray | None = None,
    yaxis: Axis | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Histogram of one column (shape ``(nx,)``) or two columns (shape ``(ny, nx)``).

    Parameters
    ----------
    x, y : numpy.ndarray
        Values (any integer or float dtype; not copied).
    xaxis, yaxis : Axis
        The binning of each column.
    weights : numpy.ndarray, optional
        Per-value weights; the result is then float64, otherwise int64 counts.
    """
    if (y is None) != (yaxis is None):
        raise ValueError("give both y and yaxis, or neither")
    ny = yaxis.n if yaxis is not None else 1
    dtype = np.float64 if weights is not None else np.int64
    out = np.zeros((ny, xaxis.n), dtype=dtype)
    x = np.ascontiguousarray(x)
    yy = np.ascontiguousarray(y) if y is not None else np.zeros(0, dtype=np.float64)
    w = np.ascontiguousarray(weights, dtype=np.float64) if weights is not None else np.zeros(0, dtype=np.float64)
    y0, yw = (yaxis.origin, yaxis.width) if yaxis is not None else (0.0, 1.0)
    args = (x, float(xaxis.origin), float(xaxis.width), int(xaxis.n), yy, float(y0), float(yw), int(ny), w)
    # Counts go into 32-bit private histograms (a chunk holds far fewer than 2^32 events): half
    # the cache footprint of int64 makes the scattered increments of an image markedly faster.
    private_dtype = np.float64 if weights is not None else np.uint32
    private_bytes = out.size * np.dtype(private_dtype).itemsize
    nchunks = min(numba.get_num_threads(), x.size // CHUNK, max(1, _PRIVATE_BYTES // max(1, private_bytes)))
    if nchunks > 1 and x.size < (1 << 32):
        _bin_chunks(out, np.zeros((nchunks, *out.shape), dtype=private_dtype), *args)
    else:
        _bin_into(out, *args, 0, x.size)
    return out if y is not None else out[0]


@numba.njit(cache=True, nogil=True)
def _interval_overlaps(out, starts, stops, weights, gti_start, gti_stop, x0, xw, nx):  # noqa: ANN001
    for i in range(starts.size):
        a, b = starts[i], stops[i]
        g = max(0, np.searchsorted(gti_stop, a, side="right"))
        while g < gti_start.size and gti_start[g] < b:
            lo, hi = max(a, gti_start[g]), min(b, gti_stop[g])
            g += 1
            if hi <= lo:
                continue
            k = max(0, int(np.floor((lo - x0) / xw)))
            while k < nx:
                edge_lo = x0 + xw * k
                edge_hi = edge_lo + xw
                if edge_lo >= hi:
                    break
                piece = min(hi, edge_hi) - max(lo, edge_lo)
                if piece > 0.0:
                    out[k] += weights[i] * piece
                k += 1


def interval_histogram(
    starts: np.ndarray, stops: np.ndarray, weights: np.ndarray, axis: Axis, gti_start: np.ndarray,
    gti_stop: np.ndarray,
) -> np.ndarray:
    """Per bin of ``axis``: the sum over intervals of ``weight * length(interval & bin & GTI)``.

    This is the time-domain companion of :func:`histogram`: with frames as intervals and
    their live fraction as weights it gives the exposed time of each light-curve bin.

    Examples
    --------
    >>> interval_histogram(np.array([0.5]), np.array([2.5]), np.array([1.0]), Axis(0.0, 1.0, 3),
    ...                    np.array([0.0]), np.array([2.0])).tolist()
    [0.5, 1.0, 0.0]
    """
    out = np.zeros(axis.n, dtype=np.float64)
    _interval_overlaps(
        out, np.ascontiguousarray(starts, dtype=np.float64), np.ascontiguousarray(stops, dtype=np.float64),
        np.ascontiguousarray(weights, dtype=np.float64), np.ascontiguousarray(gti_start, dtype=np.float64),
        np.ascontiguousarray(gti_stop, dtype=np.float64), float(axis.origin), float(axis.width), int(axis.n),
    )
    return out


def integer_axis(low: int, high: int, width: int) -> Axis:
    """Bins of ``width`` integer values from ``low`` covering ``high`` (the last bin may be partial).

    Bin k holds the integers ``low + k*width .. low + (k+1)*width - 1``.

    Examples
    --------
    >>> integer_axis(0, 11999, 5).n
    2400
    """
    return Axis(low - 0.5, float(width), int((high - low) // width + 1))


__all__ = ["Axis", "histogram", "integer_axis", "interval_histogram"]
