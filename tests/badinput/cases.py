"""The bad-input corpus: each case builds its input in a work folder, says which named error
Python must raise and which words the message must contain, and how the command line is run.

A case is data, not a test: ``test_corpus.py`` runs every case the same way (Python API and
CLI; error class, message, exit status, no output left, inputs unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

import xmmframe
from tests.badinput.files import gzip_bytes, hdu_offsets, set_card, write_columns
from xmmframe import errors
from xmmframe.ccf.xareaef import read_xareaef
from xmmframe.io.responses import read_arf, read_rmf
from xmmframe.select.limits import MAX_DEPTH, MAX_LENGTH, MAX_TESTS


@dataclass(frozen=True)
class Work:
    """A case's folder and the good inputs it derives its bad ones from (copies, in that folder)."""

    dir: Path
    events: Path  # a small real MOS1 event list (FITS)
    parquet: Path  # the same, written by xmmframe as Parquet
    arf: Path
    rmf: Path
    ccf: Path
    spectrum: Path

    @property
    def out(self) -> Path:
        """Where a case's output would go."""
        return self.dir / "out" / "product.fits"


@dataclass(frozen=True)
class Case:
    """One bad input.

    ``build`` writes the input and returns its path; ``python`` and ``cli`` use it (``cli`` returns
    the argument list, or None when no command reads this kind of file); ``words`` must appear in
    both messages (``{input}`` and ``{output}`` are replaced by the paths); ``inputs`` are the
    files that must be byte-identical afterwards and ``output`` the file that must not appear
    (or, when it existed before, stay as it was).
    """

    name: str
    build: Callable[[Work], Path]
    error: type[errors.XmmframeError]
    words: tuple[str, ...]
    python: Callable[[Path, Work], object]
    cli: Callable[[Path, Work], list[str]] | None
    inputs: Callable[[Path, Work], list[Path]] = field(default=lambda path, work: [path])
    output: Callable[[Path, Work], Path] = field(default=lambda path, work: work.out)


# ---------------------------------------------------------------------------------- actions


def open_and_write(path: Path, work: Work) -> object:
    """Open an event list, read every row and write it out."""
    events = xmmframe.open_events(path)
    events.collect()
    events.write_fits(work.out)
    return None


def convert(path: Path, work: Work) -> list[str]:
    return ["convert", str(path), str(work.out)]


def selecting(expression: str) -> tuple[Callable[[Path, Work], object], Callable[[Path, Work], list[str]]]:
    """Python and CLI actions filtering the case's event list with ``expression``."""

    def python(path: Path, work: Work) -> object:
        return xmmframe.evselect(xmmframe.open_events(path), expression, filtered=work.out)

    def cli(path: Path, work: Work) -> list[str]:
        return ["evselect", f"table={path}", f"expression={expression}", f"filteredset={work.out}"]

    return python, cli


# ---------------------------------------------------------------------------------- builders


def _bytes(work: Work) -> bytes:
    return work.events.read_bytes()


def _write(work: Work, name: str, payload: bytes | str) -> Path:
    path = work.dir / name
    path.write_bytes(payload.encode("latin-1") if isinstance(payload, str) else payload)
    return path


def _cut(where: Callable[[list[tuple[int, int, int]], int], int], suffix: str = ".fits") -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        data = _bytes(work)
        return _write(work, f"cut{suffix}", data[: where(hdu_offsets(data), len(data))])

    return build


def _gzip_cut(fraction: float) -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        packed = gzip_bytes(_bytes(work))
        return _write(work, "cut.FTZ", packed[: int(len(packed) * fraction)])

    return build


def _gzip_damaged(position: Callable[[int], int]) -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        packed = bytearray(gzip_bytes(_bytes(work)))
        at = position(len(packed))
        packed[at] ^= 0xFF
        return _write(work, "damaged.FTZ", bytes(packed))

    return build


def _card(hdu: int, keyword: str, value: str, source: str = "events") -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        original = getattr(work, source)
        return _write(work, f"edited{original.suffix}", set_card(original.read_bytes(), hdu, keyword, value))

    return build


def _rmf_theap_near_end(work: Work) -> Path:
    data = work.rmf.read_bytes()
    _, start, end = hdu_offsets(data)[1]
    return _write(work, "theap.rmf", set_card(data, 1, "THEAP", str(end - start - 10)))


def _rmf_cut_in_heap(work: Work) -> Path:
    data = work.rmf.read_bytes()
    return _write(work, "cut.rmf", data[: hdu_offsets(data)[1][2] - 1000])


def _rmf_without_ebounds(work: Work) -> Path:
    data = work.rmf.read_bytes()
    return _write(work, "noebounds.rmf", data[: hdu_offsets(data)[2][0]])


def _no_end_card(work: Work) -> Path:
    data = bytearray(_bytes(work))
    start, data_start, _ = hdu_offsets(bytes(data))[1]
    end = data.index(b"END" + b" " * 77, start, data_start)
    data[end : end + 80] = b" " * 80
    return _write(work, "noend.fits", bytes(data))


def _non_ascii_card(work: Work) -> Path:
    data = bytearray(_bytes(work))
    at = data.index(b"TTYPE1  = 'TIME", hdu_offsets(bytes(data))[1][0])
    data[at + 11 : at + 15] = "TÏME".encode("latin-1")
    return _write(work, "latin1.fits", bytes(data))


def _text(name: str, text: str) -> Callable[[Work], Path]:
    return lambda work: _write(work, name, text)


def _foreign_parquet(work: Work) -> Path:
    path = work.dir / "foreign.parquet"
    pl.DataFrame({"TIME": [1.0, 2.0], "PI": [100, 200]}).write_parquet(path)
    return path


def _parquet_metadata(damage: Callable[[bytes], bytes]) -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        table = pq.read_table(work.parquet)
        metadata = dict(table.schema.metadata)
        metadata[b"xmmframe.hdus"] = damage(metadata[b"xmmframe.hdus"])
        path = work.dir / "damaged.parquet"
        pq.write_table(table.replace_schema_metadata(metadata), path)
        return path

    return build


def _parquet_cut(work: Work) -> Path:
    return _write(work, "cut.parquet", work.parquet.read_bytes()[:-100])


def _gti_file(start: list[float], stop: list[float]) -> Callable[[Work], Path]:
    def build(work: Work) -> Path:
        columns = {"START": np.array(start, dtype=np.float64), "STOP": np.array(stop, dtype=np.float64)}
        return write_columns(work.dir / "gti.fits", columns, extname="STDGTI")

    return build


def _events_without_pi(work: Work) -> Path:
    columns = {"TIME": np.array([1.0, 2.0]), "X": np.array([1, 2], dtype=np.int32), "Y": np.array([3, 4], dtype=np.int32)}
    return write_columns(work.dir / "nopi.fits", columns)


def _events_copy(work: Work) -> Path:
    return _write(work, "events.fits", _bytes(work))


def _existing_output(work: Work) -> Path:
    work.out.parent.mkdir(exist_ok=True)
    work.out.write_bytes(b"an existing product\n")
    return _events_copy(work)


# ---------------------------------------------------------------------------------- the cases


def _fits_case(name: str, build: Callable[[Work], Path], error: type[errors.XmmframeError], *words: str) -> Case:
    return Case(name, build, error, ("{input}", *words), open_and_write, convert)


def _selection_case(name: str, expression: str, error: type[errors.XmmframeError], *words: str) -> Case:
    python, cli = selecting(expression)
    return Case(name, _events_copy, error, words, python, cli)


def _file_in_selection_case(
    name: str, build: Callable[[Work], Path], function: str, error: type[errors.XmmframeError], *words: str
) -> Case:
    """A region or GTI file used by a selection; the case's input is that file."""

    def python(path: Path, work: Work) -> object:
        return xmmframe.evselect(xmmframe.open_events(work.events), f"{function}({path})", filtered=work.out)

    def cli(path: Path, work: Work) -> list[str]:
        return ["evselect", f"table={work.events}", f"expression={function}({path})", f"filteredset={work.out}"]

    return Case(name, build, error, ("{input}", *words), python, cli, inputs=lambda path, work: [path, work.events])


def _arfgen(path: Path, work: Work) -> list[str]:
    return ["arfgen", f"spectrumset={work.spectrum}", "withrmfset=yes", f"rmfset={path}", f"arfset={work.out}",
            "withbadpixcorr=no"]


def _read_rmf(path: Path, work: Work) -> object:
    return read_rmf(path)


def _read_arf(path: Path, work: Work) -> object:
    return read_arf(path)


def _read_ccf(path: Path, work: Work) -> object:
    return read_xareaef(path)


def _output_case(
    name: str, build: Callable[[Work], Path], target: Callable[[Path, Work], Path], error: type[errors.XmmframeError],
    *words: str, clobber: bool = False,
) -> Case:
    def python(path: Path, work: Work) -> object:
        return xmmframe.evselect(xmmframe.open_events(path), "PI > 1000", filtered=target(path, work),
                                 overwrite=clobber)

    def cli(path: Path, work: Work) -> list[str]:
        return ["evselect", f"table={path}", "expression=PI > 1000", f"filteredset={target(path, work)}",
                *(["clobber=yes"] if clobber else [])]

    def inputs(path: Path, work: Work) -> list[Path]:
        existing = target(path, work)
        return [path, existing] if existing.is_file() else [path]

    return Case(name, build, error, ("{output}", *words), python, cli, inputs=inputs, output=target)


E = errors
CASES: tuple[Case, ...] = (
    # FITS structure
    _fits_case("not FITS", _text("table.fits", "TIME,PI\n1.0,100\n"), E.NotFitsError, "not a FITS file"),
    _fits_case("empty", _text("empty.fits", ""), E.EmptyFileError, "empty"),
    _fits_case("cut in the primary header", _cut(lambda o, n: 1000), E.TruncatedFileError, "HDU 0", "inside the header"),
    _fits_case("cut in the EVENTS header", _cut(lambda o, n: o[1][0] + 100), E.TruncatedFileError, "HDU 1",
               "inside the header"),
    _fits_case("cut just into the EVENTS data", _cut(lambda o, n: o[1][1] + 1), E.TruncatedFileError,
               "HDU 1 (EVENTS)", "13600 bytes"),
    _fits_case("cut mid EVENTS data", _cut(lambda o, n: (o[1][1] + o[1][2]) // 2), E.TruncatedFileError,
               "HDU 1 (EVENTS)"),
    _fits_case("cut before the last EVENTS byte", _cut(lambda o, n: o[1][2] - 1), E.TruncatedFileError,
               "HDU 1 (EVENTS)"),
    _fits_case("cut in a later table", _cut(lambda o, n: o[2][1] + 10), E.TruncatedFileError, "HDU 2 (OFFSETS)"),
    _fits_case("cut in the last table", _cut(lambda o, n: o[-1][1] + 8), E.TruncatedFileError, "HDU 31 (GTI00604)"),
    _fits_case("gzip cut in its header", _gzip_cut(0.00005), E.NotFitsError, "cannot decompress"),
    _fits_case("gzip cut a third in", _gzip_cut(1 / 3), E.TruncatedFileError, "compressed stream is damaged"),
    _fits_case("gzip cut before its trailer", _gzip_cut(0.99999), E.TruncatedFileError, "compressed stream"),
    _fits_case("gzip deflate data damaged", _gzip_damaged(lambda n: 30), E.NotFitsError, "cannot decompress"),
    _fits_case("gzip checksum damaged", _gzip_damaged(lambda n: n - 6), E.TruncatedFileError, "CRC check failed"),
    _fits_case("NAXIS2 larger than the data", _card(1, "NAXIS2", "1000"), E.HeaderError, "HDU 2",
               "does not start with XTENSION"),
    _fits_case("NAXIS2 smaller than the data", _card(1, "NAXIS2", "100"), E.HeaderError, "HDU 2"),
    _fits_case("NAXIS2 huge, file tiny", _card(1, "NAXIS2", "1000000000000"), E.TruncatedFileError,
               "HDU 1 (EVENTS)", "34000000000000 bytes"),
    _fits_case("NAXIS2 beyond any file offset", _card(1, "NAXIS2", "99999999999999999999"), E.TruncatedFileError,
               "HDU 1 (EVENTS)", "file ends before"),
    _fits_case("NAXIS2 negative", _card(1, "NAXIS2", "-5"), E.HeaderError, "HDU 1", "negative NAXISn"),
    _fits_case("NAXIS2 not a number", _card(1, "NAXIS2", "'many'"), E.HeaderError, "HDU 1", "NAXIS2"),
    _fits_case("PCOUNT announces a heap that is not there", _card(1, "PCOUNT", "5000"), E.HeaderError, "HDU 2"),
    _fits_case("NAXIS1 disagrees with the columns", _card(1, "NAXIS1", "30"), E.HeaderError, "NAXIS1 = 30"),
    _fits_case("TFORM not FITS", _card(1, "TFORM1", "'ZZ'"), E.HeaderError, "column 1 (TIME)", "TFORM1"),
    _fits_case("TFORM negative repeat", _card(1, "TFORM1", "'-1J'"), E.HeaderError, "TFORM1"),
    _fits_case("TFORM variable-length without a heap", _card(1, "TFORM1", "'PJ'"), E.TruncatedFileError,
               "column TIME", "outside the 0-byte heap"),
    _fits_case("TSCAL not a number", _card(1, "TSCAL9", "'abc'"), E.HeaderError, "column PI", "TSCAL9"),
    _fits_case("TZERO logical", _card(1, "TZERO9", "T"), E.HeaderError, "column PI", "TZERO9"),
    _fits_case("EVENTS not a binary table", _card(1, "XTENSION", "'IMAGE   '"), E.HduNotFoundError,
               "HDU 1 (EVENTS)", "not a binary table"),
    _fits_case("END card missing", _no_end_card, E.HeaderError, "HDU 1"),
    _fits_case("non-ASCII header card", _non_ascii_card, E.HeaderError, "HDU 1", "non-ASCII"),
    _fits_case("a directory", lambda work: work.dir, E.FileAccessError, "is a directory"),
    _fits_case("missing file", lambda work: work.dir / "nowhere.fits", E.FileAccessError, "no such file"),
    Case("EXTNAME missing (asked for EVENTS)", _card(1, "EXTNAME", "'STUFF'"), E.HduNotFoundError,
         ("{input}", "no HDU named 'EVENTS'"), lambda path, work: xmmframe.open_events(path, "EVENTS"),
         lambda path, work: ["evselect", f"table={path}:EVENTS", f"filteredset={work.out}"]),
    Case("missing required column", _events_without_pi, E.ProductError, ("{input}", "no column PI"),
         lambda path, work: xmmframe.evselect(xmmframe.open_events(path), None, spectrum=work.out),
         lambda path, work: ["evselect", f"table={path}", f"spectrumset={work.out}", "energycolumn=PI"]),
    # Parquet
    _fits_case("foreign Parquet", _foreign_parquet, E.ParquetMetadataError, "no xmmframe metadata"),
    _fits_case("Parquet metadata not JSON", _parquet_metadata(lambda raw: b"{not json" + raw), E.ParquetMetadataError,
               "metadata in the Parquet footer is damaged"),
    _fits_case("Parquet metadata cut short", _parquet_metadata(lambda raw: raw[: len(raw) // 2]),
               E.ParquetMetadataError, "damaged"),
    _fits_case("Parquet metadata not UTF-8", _parquet_metadata(lambda raw: raw[:100] + b"\xff\xfe" + raw[100:]),
               E.ParquetMetadataError, "damaged"),
    _fits_case("Parquet footer cut", _parquet_cut, E.ParquetMetadataError, "cannot read Parquet schema"),
    # selection language
    _selection_case("selection: unclosed parenthesis", "(PI > 5", E.SelectionSyntaxError, "column 8", "')'"),
    _selection_case("selection: extra parenthesis", "PI > 5)", E.SelectionSyntaxError, "column 7"),
    _selection_case("selection: unknown column", "NOSUCH > 1", E.UnknownColumnError, "NOSUCH", "column 1"),
    _selection_case("selection: string against number", "PI == 'abc'", E.SelectionTypeError, "column 4"),
    _selection_case("selection: bitwise on a float column", "TIME & 1", E.SelectionTypeError, "TIME", "column 6"),
    _selection_case("selection: 500 nested parentheses", "(" * 500 + "PI>1" + ")" * 500, E.SelectionLimitError,
                    f"column {MAX_DEPTH + 1}", "nested"),
    _selection_case("selection: 10000 nested parentheses", "(" * 10_000 + "PI>1" + ")" * 10_000,
                    E.SelectionLimitError, f"column {MAX_DEPTH + 1}"),
    _selection_case("selection: sum of 2000 terms", " + ".join(["PI"] * 2000) + " > 0", E.SelectionLimitError,
                    "levels deep", "column"),
    _selection_case("selection: longer than the limit", "PI>1 || " * (MAX_LENGTH // 8 + 1) + "PI>1",
                    E.SelectionLimitError, str(MAX_LENGTH)),
    _selection_case("selection: more tests than the limit", " || ".join(f"(PI=={k})" for k in range(20_000)),
                    E.SelectionLimitError, "20000 tests", str(MAX_TESTS), "column"),
    _selection_case("selection: Unicode digit", "PI > \u00b2", E.SelectionSyntaxError, "column 6"),
    _selection_case("selection: zero-width space", "PI >= \u200b5", E.SelectionSyntaxError, "column 7"),
    _selection_case("selection: NUL character", "PI > 1\x00", E.SelectionSyntaxError, "column 7"),
    _selection_case("selection: Python injection", "__import__('os').system('touch pwned')", E.SelectionSyntaxError,
                    "column 17"),
    _selection_case("selection: statement injection", "PI > 1; import os", E.SelectionSyntaxError, "column 7"),
    _selection_case("selection: shell expansion", "PI > ${HOME}", E.SelectionSyntaxError, "column 6"),
    _selection_case("selection: unknown function", "eval(PI)", E.SelectionSyntaxError, "unknown function 'eval'"),
    _selection_case("selection: unknown macro", "#NOSUCH", E.UnknownMacroError, "#NOSUCH", "column 1"),
    _selection_case("selection: shape arguments", "circle(1,2)", E.ShapeArgumentError, "column 1"),
    _selection_case("selection: huge integer", "PI > " + "9" * 5000, E.SelectionSyntaxError, "too large"),
    # regions and GTIs
    _file_in_selection_case("ds9 garbage", _text("garbage.reg", "this is not a region\n"), "region",
                            E.RegionFileError, "line 1"),
    _file_in_selection_case("ds9 empty", _text("empty.reg", ""), "region", E.RegionFileError, "no shapes"),
    _file_in_selection_case("ds9 only comments", _text("comments.reg", "# Region file format: DS9\nglobal color=green\n"),
                            "region", E.RegionFileError, "no shapes"),
    _file_in_selection_case("ds9 binary junk", _text("junk.reg", "\x00\x01\xff\xfe"), "region", E.RegionFileError,
                            "line 1"),
    _file_in_selection_case("ds9 shape missing an argument", _text("short.reg", "physical\ncircle(1,2)\n"), "region",
                            E.RegionFileError, "line 2"),
    _file_in_selection_case("ds9 words for numbers", _text("words.reg", "physical\ncircle(a,b,c)\n"), "region",
                            E.RegionFileError, "line 2"),
    _file_in_selection_case("ds9 image coordinates", _text("image.reg", "image\ncircle(100,100,20)\n"), "region",
                            E.RegionFileError, "line 2", "image"),
    _file_in_selection_case("ds9 5000 open parentheses", _text("paren.reg", "physical\n" + "(" * 5000 + "\n"),
                            "region", E.RegionFileError, "line 2"),
    _file_in_selection_case("region file missing", lambda work: work.dir / "none.reg", "region", E.FileAccessError,
                            "no such region file", "column 1"),
    _file_in_selection_case("GTI START after STOP", _gti_file([100529800.0], [100529500.0]), "gti", E.GtiError,
                            "row 1", "after STOP"),
    _file_in_selection_case("GTI NaN bound", _gti_file([100529500.0, np.nan], [100529600.0, 100529800.0]), "gti",
                            E.GtiError, "row 2", "not a finite"),
    _file_in_selection_case("GTI without START/STOP", lambda work: write_columns(
        work.dir / "gti.fits", {"BEGIN": np.array([1.0]), "END": np.array([2.0])}, extname="STDGTI"), "gti",
        E.ColumnError, "START and STOP"),
    _file_in_selection_case("GTI file missing", lambda work: work.dir / "none.gti", "gti", E.FileAccessError,
                            "no such file", "column 1"),
    # responses and CCFs
    Case("RMF without EBOUNDS", _rmf_without_ebounds, E.HduNotFoundError, ("{input}", "EBOUNDS"), _read_rmf, _arfgen),
    Case("RMF energies in eV", _card(1, "TUNIT1", "'eV'", "rmf"), E.ColumnError, ("{input}", "ENERG_LO", "'eV'"),
         _read_rmf, _arfgen),
    Case("RMF cut in its heap", _rmf_cut_in_heap, E.TruncatedFileError, ("{input}", "SPECRESP MATRIX"), _read_rmf,
         _arfgen),
    Case("RMF THEAP past the heap", _rmf_theap_near_end, E.TruncatedFileError, ("{input}", "outside the"), _read_rmf,
         _arfgen),
    Case("RMF THEAP outside the data", _card(1, "THEAP", "999999999", "rmf"), E.HeaderError, ("{input}", "THEAP"),
         _read_rmf, _arfgen),
    Case("ARF without SPECRESP", _card(1, "EXTNAME", "'FOO'", "arf"), E.HduNotFoundError, ("{input}", "SPECRESP"),
         _read_arf, None),
    Case("ARF area in m**2", _card(1, "TUNIT3", "'m**2'", "arf"), E.ColumnError, ("{input}", "SPECRESP", "m**2"),
         _read_arf, None),
    Case("CCF extension missing", _card(1, "EXTNAME", "'OTHER'", "ccf"), E.CalibrationError,
         ("{input}", "ONAXISXAREAEF"), _read_ccf, None),
    Case("CCF energies in keV", _card(1, "TUNIT1", "'keV'", "ccf"), E.CalibrationError, ("{input}", "ENERGY", "'eV'"),
         _read_ccf, None),
    # output paths
    _output_case("output directory missing", _events_copy, lambda path, work: work.dir / "nodir" / "x.fits",
                 E.OutputError, "does not exist"),
    _output_case("output is the input", _events_copy, lambda path, work: path, E.OutputError, "refusing to overwrite",
                 clobber=True),
    _output_case("output is the input, no clobber", _events_copy, lambda path, work: path, E.OutputError, "exists"),
    _output_case("existing output without clobber", _existing_output, lambda path, work: work.out, E.OutputError,
                 "exists", "clobber"),
    _output_case("output is a directory", _events_copy, lambda path, work: work.dir, E.OutputError, "directory",
                 clobber=True),
)
