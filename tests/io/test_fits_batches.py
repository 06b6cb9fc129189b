"""A table written in batches is the file a one-shot write of the same rows gives."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

from xmmframe.errors import ColumnError
from xmmframe.io.fits_batches import table_writer
from xmmframe.io.fits_write import TableHdu, primary_template, table_template, write_hdus
from xmmframe.io.odf_write import constituent_writer, write_constituent

SCHEMA = {
    "TIME": pl.Float64,
    "ENERGY": pl.Float32,
    "FRAME": pl.Int32,
    "RAWX": pl.Int16,
    "FTFINE": pl.UInt16,
    "CCDNR": pl.UInt8,
    "SEQ": pl.Int64,
    "GOOD": pl.Boolean,
    "E": pl.Array(pl.Int16, 4),
}


def _rows(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "TIME": rng.random(n) * 1e8,
            "ENERGY": rng.random(n).astype(np.float32) * 1e4,
            "FRAME": rng.integers(-(2**31), 2**31 - 1, n, dtype=np.int32),
            "RAWX": rng.integers(-32768, 32767, n, dtype=np.int16),
            "FTFINE": rng.integers(0, 65535, n, dtype=np.uint16),
            "CCDNR": rng.integers(0, 255, n, dtype=np.uint8),
            "SEQ": rng.integers(-(2**62), 2**62, n),
            "GOOD": rng.random(n) < 0.5,
            "E": rng.integers(-100, 4000, (n, 4)).astype(np.int16),
        },
        schema=SCHEMA,
    )


def _batches() -> list[pl.DataFrame]:
    return [_rows(n, seed) for seed, n in enumerate((1000, 0, 1, 250_000, 77))]


@pytest.mark.parametrize("checksum", [False, True])
def test_batches_give_the_one_shot_file(tmp_path, checksum):
    cards = table_template("EVENTS", {"OBS_ID": "0999990101"})
    if checksum:
        cards += (
            fits.Card("CHECKSUM", "0" * 16, "HDU checksum").image,
            fits.Card("DATASUM", "0", "data unit checksum").image,
        )
    primary = primary_template({"TELESCOP": "XMM"})
    batches = _batches()
    with table_writer(tmp_path / "batches.fits", [primary], cards, SCHEMA) as out:
        for batch in batches:
            out.write(batch)
    assert out.rows == sum(b.height for b in batches)
    whole = pl.concat(batches)
    write_hdus(tmp_path / "whole.fits", [primary, TableHdu(cards, whole)])
    assert (tmp_path / "batches.fits").read_bytes() == (tmp_path / "whole.fits").read_bytes()
    with fits.open(tmp_path / "batches.fits", checksum=checksum) as hdul:
        data = hdul["EVENTS"].data
        assert len(data) == whole.height
        for name in SCHEMA:
            assert np.array_equal(np.asarray(data[name]), whole[name].to_numpy()), name
        if checksum:
            assert hdul["EVENTS"].verify_checksum() == 1


def test_a_constituent_written_in_batches(tmp_path, fitsverify):
    schema = {"FRAME": pl.Int32, "RAWX": pl.Int16, "RAWY": pl.Int16, "ENERGY": pl.Int16}
    parts = [
        pl.DataFrame({"FRAME": [1, 1, 2], "RAWX": [3, 4, 5], "RAWY": [20, 20, 30], "ENERGY": [40, 50, 60]}),
        pl.DataFrame({"FRAME": [9], "RAWX": [64], "RAWY": [200], "ENERGY": [4095]}),
    ]
    parts = [p.cast(schema) for p in parts]
    keywords = {"CCDID": (4, "Numerical identifier of the CCD")}
    with constituent_writer(tmp_path / "a.FIT", {"INSTRUME": "EPN"}, "EVENTS", keywords, schema) as out:
        for part in parts:
            out.write(part)
    write_constituent(tmp_path / "b.FIT", {"INSTRUME": "EPN"}, [("EVENTS", keywords, pl.concat(parts))])
    assert (tmp_path / "a.FIT").read_bytes() == (tmp_path / "b.FIT").read_bytes()
    errors, warnings, report = fitsverify(tmp_path / "a.FIT")
    assert (errors, warnings) == (0, 0), report


def test_an_empty_table(tmp_path):
    with table_writer(tmp_path / "empty.fits", [primary_template()], table_template("T"), SCHEMA):
        pass
    with fits.open(tmp_path / "empty.fits") as hdul:
        assert hdul[1].header["NAXIS2"] == 0 and hdul[1].columns.names == list(SCHEMA)


def test_columns_whose_format_depends_on_the_rows_are_refused(tmp_path):
    for dtype in (pl.String, pl.List(pl.Float64)):
        with pytest.raises(ColumnError, match="cannot be written in batches"):
            with table_writer(tmp_path / "x.fits", [primary_template()], table_template("T"), {"A": dtype}):
                pass
    assert not os.listdir(tmp_path)


def test_a_batch_must_match_the_schema_and_a_failure_leaves_no_file(tmp_path):
    target = tmp_path / "t.fits"
    with pytest.raises(ColumnError, match="differ"):
        with table_writer(target, [primary_template()], table_template("T"), {"PI": pl.Int16}) as out:
            out.write(pl.DataFrame({"PI": pl.Series([1], dtype=pl.Int16)}))
            out.write(pl.DataFrame({"PI": pl.Series([1], dtype=pl.Int32)}))
    with pytest.raises(ColumnError, match="TNULL"):
        with table_writer(target, [primary_template()], table_template("T"), {"PI": pl.Int16}) as out:
            out.write(pl.DataFrame({"PI": pl.Series([1, None], dtype=pl.Int16)}))
    assert not os.listdir(tmp_path)
