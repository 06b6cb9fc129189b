"""The sky order of an exposure's rows: a stable sort by HEALPix index, and the rows put in it.

Ingest sorts every exposure by its ``_healpix_29`` index (ties keep their time order), so that
each Parquet row group and query-column block covers a compact patch of sky.  The indexes of
one XMM field differ only in their low 40-50 bits (an order-29 nested index of a 30 arcmin
field), so a least-significant-digit radix sort on 16-bit digits of ``index - min`` needs three
passes; on a 1e6-event exposure it takes about half the CPU time of numpy's stable argsort and
a third of Polars' ``sort(maintain_order=True)``.  Putting the columns in that order with
numpy's ``take`` (then wrapping the arrays back into Polars without a copy) is about three
times faster than Polars' ``gather`` on the same frame; columns with nulls are gathered by
Polars, which keeps their validity.

Examples
--------
>>> import numpy as np
>>> sky_order(np.array([30, 10, 20, 10], dtype=np.int64)).tolist()
[1, 3, 2, 0]
>>> import polars as pl
>>> take_rows(pl.DataFrame({"PI": [5, 6, 7], "X": [1, None, 3]}), np.array([2, 0, 1])).rows()
[(7, 3), (5, 1), (6, None)]
"""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

#: Bits sorted per pass of the radix sort.
DIGIT_BITS = 16


@numba.njit(cache=True)
def _radix_argsort(keys: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    n = keys.size
    order = np.arange(n)
    if n < 2:
        return order
    digits = 64 // DIGIT_BITS
    size = 1 << DIGIT_BITS
    mask = np.uint64(size - 1)
    low = keys.min()
    key = (keys - low).view(np.uint64)
    counts = np.zeros((digits, size), np.int64)
    for i in range(n):  # every digit's histogram in one pass
        k = key[i]
        for p in range(digits):
            counts[p, (k >> np.uint64(p * DIGIT_BITS)) & mask] += 1
    other_key = np.empty(n, np.uint64)
    other = np.empty(n, np.int64)
    for p in range(digits):
        shift = np.uint64(p * DIGIT_BITS)
        if counts[p, (key[0] >> shift) & mask] == n:
            continue  # one value of this digit: the pass would not move anything
        total = 0
        for d in range(size):
            c = counts[p, d]
            counts[p, d] = total
            total += c
        for i in range(n):  # keys travel with their row numbers, so reads stay sequential
            k = key[i]
            d = (k >> shift) & mask
            position = counts[p, d]
            counts[p, d] = position + 1
            other_key[position] = k
            other[position] = order[i]
        key, other_key = other_key, key
        order, other = other, order
    return order


def sky_order(index: np.ndarray) -> np.ndarray:
    """Row numbers that sort ``index`` (int64) ascending, ties in their original order.

    Parameters
    ----------
    index : numpy.ndarray
        Non-negative int64 keys (HEALPix nested indexes).

    Returns
    -------
    numpy.ndarray
        int64 permutation, equal to ``numpy.argsort(index, kind="stable")``.

    Examples
    --------
    >>> sky_order(np.array([2, 1, 2, 0], dtype=np.int64)).tolist()
    [3, 1, 0, 2]
    """
    return _radix_argsort(np.ascontiguousarray(index, dtype=np.int64))


def take_rows(frame: pl.DataFrame, order: np.ndarray) -> pl.DataFrame:
    """``frame``'s rows in ``order`` (a permutation from :func:`sky_order`), same schema.

    Examples
    --------
    >>> take_rows(pl.DataFrame({"A": [1, 2]}), np.array([1, 0]))["A"].to_list()
    [2, 1]
    """
    columns = []
    for series in frame.get_columns():
        if series.null_count() or not series.dtype.is_numeric():
            columns.append(series.gather(order))
        else:
            columns.append(pl.Series(series.name, series.to_numpy().take(order), dtype=series.dtype))
    return pl.DataFrame(columns)
