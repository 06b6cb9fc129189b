"""SAS parity of the selection language on real SAS inputs and products (``../shared/refdata``).

Every selection SAS recorded in a product header (``SLCTEXPR``, the ``expression=`` of
``XPROCn``, the data-subspace ``DSTYPn/DSVALn`` keywords) parses, and, where the input event
list is here, selects exactly the rows SAS selected.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits

import xmmframe
from tests.conftest import REFDATA
from xmmframe.errors import SelectionError, SelectionWarning
from xmmframe.select import compile, parse

EXOD = REFDATA / "exod" / "0001730201"
XGA = REFDATA / "xga"
#: Absolute directory recorded in the EXOD headers; the files are next to each other here.
EXOD_DIR = "/mnt/data/Maitrayee/EXOD/data/0001730201/"
EVLI = {"M1": "P0001730201M1S002MIEVLI.FTZ", "M2": "P0001730201M2S003MIEVLI.FTZ"}
FBKTSR = {"M1": "P0001730201M1S002FBKTSR0000.FTZ", "M2": "P0001730201M2S003FBKTSR0000.FTZ"}


def count(events: xmmframe.EventList, selection: str, base_dir: Path = EXOD) -> int:
    return int(
        events.lazy.filter(compile(selection, events.meta, base_dir=base_dir))
        .select(pl.len())
        .collect()
        .item()
    )


def sorted_rows(frame: pl.DataFrame) -> np.ndarray:
    columns = ["TIME", "X", "Y", "PI", "PATTERN", "FLAG"]
    return frame.select(columns).sort(columns).to_numpy()


def local(expression: str) -> str:
    """A header expression with the EXOD machine's directory removed (files resolve in EXOD)."""
    return expression.replace(EXOD_DIR, "")


def header_expression(path: Path, hdu: int | str, key: str = "XPROC0") -> str:
    value = fits.getheader(path, hdu)[key]
    if key == "SLCTEXPR":
        return value
    match = re.search(r"\bexpression=('(?:[^']|'')*'|\S+)", value)
    assert match, value
    text = match.group(1)
    return text[1:-1].replace("''", "'") if text.startswith("'") else text


# ---------------------------------------------------------------------------- EXOD chain (SAS 20)


@pytest.mark.parametrize("camera, expected", [("M1", 5344), ("M2", 5261)])
def test_rate_curve_selection(refdata, camera, expected):
    events = xmmframe.open_events(EXOD / EVLI[camera])
    expression = header_expression(EXOD / f"{camera}_rate.fits", 0)
    assert expression == "#XMMEA_EM && (PI>10000) && (PATTERN==0)"
    assert count(events, expression) == expected
    assert events.filter(expression).count() == expected  # through EventList.filter


@pytest.mark.parametrize("camera, expected", [("M1", 36824), ("M2", 37020)])
def test_clean_event_list_is_reproduced(refdata, camera, expected):
    events = xmmframe.open_events(EXOD / EVLI[camera])
    expression = f"#XMMEA_EM && gti({camera}_gti.fits,TIME) && (PATTERN<=12) && (PI in [500:10000])"
    selected = events.lazy.filter(compile(expression, events.meta, base_dir=EXOD)).collect()
    assert selected.height == expected
    clean = xmmframe.open_events(EXOD / f"{camera}_clean.fits").collect()
    assert np.array_equal(sorted_rows(selected), sorted_rows(clean))
    # the expression exactly as SAS recorded it (SLCTEXPR, macro already expanded by SAS)
    recorded = local(header_expression(EXOD / f"{camera}_clean.fits", "EVENTS", "SLCTEXPR"))
    assert count(events, recorded) == expected


def test_selection_on_parquet_copy(refdata, tmp_path):
    xmmframe.open_events(EXOD / EVLI["M1"]).write_parquet(tmp_path / "m1.parquet")
    events = xmmframe.open_events(tmp_path / "m1.parquet")
    assert events.filter("#XMMEA_EM && (PI>10000) && (PATTERN==0)").count() == 5344
    assert count(events, "#XMMEA_EM && gti(M1_gti.fits,TIME) && (PATTERN<=12) && (PI in [500:10000])") == 36824


def test_gti_file_found_from_current_directory(refdata, monkeypatch):
    monkeypatch.chdir(EXOD)
    events = xmmframe.open_events(EVLI["M1"])
    assert (
        events.filter("#XMMEA_EM && GTI(M1_gti.fits,TIME) && (PATTERN<=12) && (PI in [500:10000])").count()
        == 36824
    )


@pytest.mark.parametrize("camera, source, background", [("M1", 2456, 57), ("M2", 1927, 11)])
def test_light_curve_regions(refdata, camera, source, background):
    folder = next(EXOD.glob(f"lcurve_100_{camera}_1"))
    lines = dict(
        line.split("=", 1)
        for line in next(folder.glob("*_region.txt")).read_text().splitlines()
        if "=" in line
    )
    clean = xmmframe.open_events(EXOD / f"{camera}_clean.fits")
    assert count(clean, lines["Source     "].strip()) == source
    # background: the source-free list is the clean list filtered with the FBKTSR region
    sourceless = f"region({FBKTSR[camera]}:REGION,X,Y) && {lines['Background '].strip()}"
    with pytest.warns(SelectionWarning, match="DETX,DETY"):
        assert count(clean, sourceless) == background
    lc = next(folder.glob("*_lc_100_src.lc"))
    assert count(clean, header_expression(lc, 0)) == source


@pytest.mark.parametrize("camera, expected", [("M1", 2456), ("M2", 1927)])
def test_epiclccorr_selection_with_gti_and_region_extensions(refdata, camera, expected):
    """CCD-by-CCD selection with ``gti(lc:GTI00n04,TIME)`` and ``region(lc:REG00107,X,Y)``."""
    folder = next(EXOD.glob(f"lcurve_100_{camera}_1"))
    expression = local(header_expression(next(folder.glob("*_lccorr_2.604.lc")), "RATE", "SLCTEXPR"))
    assert expression.count("gti(") == 7 and expression.count("region(") == 7
    clean = xmmframe.open_events(EXOD / f"{camera}_clean.fits")
    assert count(clean, expression) == expected


def test_sourceless_list_is_reproduced(refdata):
    """SAS applied the FBKTSR REGION circles (given in DETX/DETY) to X/Y: nothing is removed."""
    expression = local(header_expression(EXOD / "M1_sourceless.fits", "EVENTS", "SLCTEXPR"))
    assert expression == "region(P0001730201M1S002FBKTSR0000.FTZ:REGION,X,Y)"
    clean = xmmframe.open_events(EXOD / "M1_clean.fits")
    with pytest.warns(SelectionWarning, match="applied to X,Y"):
        selected = clean.lazy.filter(compile(expression, clean.meta, base_dir=EXOD)).collect()
    sourceless = xmmframe.open_events(EXOD / "M1_sourceless.fits").collect()
    assert selected.height == sourceless.height == 36824
    assert np.array_equal(sorted_rows(selected), sorted_rows(sourceless))


def test_fbktsr_region_on_its_own_columns_matches_numpy(refdata):
    """Without columns, the table's DETX/DETY are used: the three exclusion circles remove events."""
    clean = xmmframe.open_events(EXOD / "M1_clean.fits")
    kept = count(clean, "region(P0001730201M1S002FBKTSR0000.FTZ:REGION)")
    with fits.open(EXOD / FBKTSR["M1"]) as hdul:
        table = hdul["REGION"].data
        centres = [(row["DETX"][0], row["DETY"][0], row["R"][0]) for row in table]
    frame = clean.collect()
    detx, dety = frame["DETX"].to_numpy().astype(float), frame["DETY"].to_numpy().astype(float)
    outside = np.ones(frame.height, bool)
    for x0, y0, r in centres:
        outside &= (detx - float(x0)) ** 2 + (dety - float(y0)) ** 2 > float(r) ** 2
    assert kept == int(outside.sum()) < frame.height


@pytest.mark.parametrize("camera, threshold", [("M1", "0.4"), ("M2", "0.4"), ("PN", "0.5")])
def test_tabgtigen_rate_selection(refdata, camera, threshold):
    """tabgtigen's ``RATE<=0.4`` (selectlib) keeps exactly the 100-s bins inside the GTI it wrote."""
    expression = header_expression(EXOD / f"{camera}_gti.fits", 0)
    assert expression == f"RATE<={threshold}"
    rate = xmmframe.open_events(EXOD / f"{camera}_rate.fits")
    frame = rate.collect().with_columns(selected=compile(expression, rate.meta))
    gti = xmmframe.GTI.read(str(EXOD / f"{camera}_gti.fits"))
    assert np.array_equal(frame["selected"].to_numpy(), gti.contains(frame["TIME"].to_numpy()))


# ---------------------------------------------------------------------------- XGA images (SAS 13.5)

XGA_IMAGES = sorted(XGA.glob("*/images/*_mos?_exp1-*keVimg.fits")) if XGA.is_dir() else []


@pytest.mark.parametrize("image", XGA_IMAGES, ids=[p.name for p in XGA_IMAGES])
def test_xga_image_selection_counts(refdata, image):
    expression = header_expression(image, 0)
    assert expression.startswith("#XMMEA_EM && (PATTERN <= 12) && (FLAG .eq. 0)&& PI in [")
    instrument = "mos1" if "_mos1_" in image.name else "mos2"
    events = xmmframe.open_events(image.parents[1] / "eclean" / f"{instrument}_exp1_clean_evts.fits")
    low, high = 3648.5, 3648.5 + 87 * 512
    window = f"X >= {low} && X < {high} && Y >= {low} && Y < {high}"
    assert count(events, f"({expression}) && {window}") == int(fits.getdata(image).sum())


def test_xga_image_count_quoted_in_inventory(refdata):
    events = xmmframe.open_events(XGA / "0201901401" / "eclean" / "mos1_exp1_clean_evts.fits")
    selection = "#XMMEA_EM && (PATTERN <= 12) && (FLAG .eq. 0) && PI in [500:2000]"
    assert count(events, f"{selection} && X in [3648.5:48192.5) && Y in [3648.5:48192.5)") == 8755


# ---------------------------------------------------------------------------- every recorded selection parses


def _continued_segments(card: fits.Card) -> list[str]:
    """The quoted pieces of a long-string keyword, one per 80-character card image."""
    image = card.image
    pieces = []
    for start in range(0, len(image), 80):
        match = re.search(r"'((?:[^']|'')*)'", image[start : start + 80])
        pieces.append(match.group(1).replace("''", "'") if match else "")
    return pieces


def _sas_copy_repair(card: fits.Card) -> str:
    """Undo a SAS header-copy defect: the next-to-last CONTINUE piece gains extra '&' marks.

    (``M1_image.fits`` has ``(PI&&`` + `` in [500:10000])`` where its input ``M1_clean.fits``
    has ``(PI&`` + `` in [500:10000])``.)
    """
    pieces = _continued_segments(card)
    joined = [p.removesuffix("&") for p in pieces[:-1]] + pieces[-1:]
    if len(joined) >= 2:
        joined[-2] = pieces[-2].rstrip("&")
    return "".join(joined)


def _recorded_selections() -> list[tuple[str, str, str, fits.Card]]:
    found = []
    if not REFDATA.is_dir():
        return found
    for path in sorted(p for p in REFDATA.rglob("*") if p.is_file()):
        try:
            hdul = fits.open(path)
        except (OSError, ValueError):
            continue
        with hdul, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for hdu in hdul:
                for card in hdu.header.cards:
                    if card.keyword == "SLCTEXPR" or card.keyword.startswith("XPROC"):
                        found.append((str(path.relative_to(REFDATA)), hdu.name, card.keyword, card))
    return found


RECORDED = _recorded_selections()


def test_every_recorded_selection_parses(refdata):
    expressions = 0
    repaired = []
    for where, hdu, key, card in RECORDED:
        if key.startswith("XPROC"):
            texts = [
                t[1:-1].replace("''", "'") if t.startswith("'") else t
                for t in re.findall(r"\bexpression=('(?:[^']|'')*'|\S+)", card.value)
            ]
        else:
            texts = [card.value]
        for text in texts:
            expressions += 1
            try:
                parse(text)
            except SelectionError:
                fixed = _sas_copy_repair(card)
                parse(fixed)
                repaired.append((where, fixed))
    assert expressions >= 100
    # exactly the three evselect images, which copied the SLCTEXPR of their input event list
    assert sorted(w for w, _ in repaired) == [
        "exod/0001730201/M1_image.fits",
        "exod/0001730201/M2_image.fits",
        "exod/0001730201/PN_image.fits",
    ]
    for where, fixed in repaired:
        source = REFDATA / where.replace("_image.fits", "_clean.fits")
        if source.exists():
            assert fixed == fits.getheader(source, "EVENTS")["SLCTEXPR"]


def test_every_region_text_file_parses(refdata):
    files = sorted(EXOD.glob("lcurve_*/*_region.txt"))
    assert len(files) == 3
    for path in files:
        for line in path.read_text().splitlines():
            if line.startswith(("Source", "Background")):
                parse(line.split("=", 1)[1])


def _dss(header: fits.Header) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = {}
    for key in header:
        match = re.match(r"^DS(TYP|VAL|FORM|REF|UNI)(\d+)$", key)
        if match:
            result.setdefault(int(match.group(2)), {})[match.group(1)] = str(header[key])
    return result


def _dss_selection(item: dict[str, str]) -> str | None:
    """A data-subspace entry as a selection expression (None for image masks)."""
    column, value, form = item["TYP"], item.get("VAL", ""), item.get("FORM", "")
    position = re.match(r"^(?:POS|DET|RAW)\((\w+),(\w+)\)", column)
    if value == "TABLE":
        extension = item["REF"].lstrip(":")
        if position:
            return f"region(self.fits:{extension},{position.group(1)},{position.group(2)})"
        return f"{column} in gti(self.fits[{extension}])"
    if value == "IMAGE":
        return None
    if form == "X":  # bit pattern, most significant bit first: 0 must be 0, x any
        bits = value[1:]
        mask = sum(1 << (len(bits) - 1 - i) for i, bit in enumerate(bits) if bit == "0")
        return f"({column} & {hex(mask)}) == 0"
    if position:
        shapes = [s for s in value.split("&") if s]
        return " && ".join(f"({position.group(1)},{position.group(2)}) in {s}" for s in shapes)
    return f"{column} in {value}"


def test_every_data_subspace_selection_parses(refdata):
    parsed = 0
    for path in sorted(
        p for p in REFDATA.rglob("*") if p.suffix.lower() in (".fits", ".ftz", ".lc", ".pha", ".ds")
    ):
        with fits.open(path) as hdul:
            for hdu in hdul:
                for item in _dss(hdu.header).values():
                    selection = _dss_selection(item)
                    if selection is not None:
                        parse(selection)
                        parsed += 1
    assert parsed >= 80


def test_data_subspace_of_clean_list_selects_every_row(refdata):
    """The DSS of M1_clean (for CCD 1: FLAG bit patterns, PATTERN, PI, its GTI) hold for all its rows."""
    path = EXOD / "M1_clean.fits"
    events = xmmframe.open_events(path)
    items = _dss(fits.getheader(path, "EVENTS"))
    ccd = f"CCDNR in {items[1]['VAL']}"
    assert items[1]["TYP"] == "CCDNR"
    on_ccd = count(events, ccd)
    masks = []
    for item in list(items.values())[1:]:
        selection = _dss_selection(item)
        assert selection is not None
        if item.get("FORM") == "X":
            masks.append(int(selection.split("&")[1].split(")")[0], 16))
        selection = selection.replace("self.fits", path.name)
        assert count(events, f"{ccd} && {selection}") == on_ccd, selection
    # the FLAG patterns are emproc's destructive mask and #XMMEA_EM
    assert sorted(masks) == [0x762AA000, 0x766BA000]
    # each CCD's events lie in that CCD's product GTI (GTI00004, GTI00104, ...)
    for number in range(1, 8):
        selection = f"CCDNR == {number} && !(TIME in gti(M1_clean.fits:GTI{number - 1:03d}04))"
        assert count(events, selection) == 0
