"""One description of each product's parameters: the option dataclasses, the SAS tables, the command line.

The SAS evselect command lines recorded (``XPROC0``) in the real SAS products of ``refdata`` are
parsed by the command line into the option objects they describe; the defaults of the SAS
tables are SAS's (the parameter dump of a SAS product that made no spectrum, light curve or
image, and the pySAS parameter list); and a product made through keyword arguments, an option
object, :func:`xmmframe.evselect` and the command line is the same product.
"""

from __future__ import annotations

import shlex

import numpy as np
import pytest
from astropy.io import fits

import xmmframe
from xmmframe.cli import evselect as evselect_cli
from xmmframe.cli.main import main
from xmmframe.cli.sas_params import parse_parameters, sas_params
from xmmframe.errors import ParameterError
from xmmframe.model.options import ImageOptions, LightCurveOptions, SpectrumOptions
from xmmframe.products import make_image, make_lightcurve, make_spectrum

EXOD = "exod/0001730201"
SOURCE = "(X,Y) in CIRCLE(24635.6,24158.8,200)"
XGA_IMAGE = ImageOptions(bin=(87.0, 87.0), x_range=(3649.0, 48106.0), y_range=(3649.0, 48106.0), xcolumn="X",
                         ycolumn="Y", square=True, dtype="Real64")

#: SAS product -> the products and options its XPROC0 command line asks for (read from the line by eye).
RECORDED = {
    f"{EXOD}/M1_rate.fits": {"lightcurve": LightCurveOptions(bin=100.0, rate=True, energy_column="PHA")},
    f"{EXOD}/M2_rate.fits": {"lightcurve": LightCurveOptions(bin=100.0, rate=True, energy_column="PHA")},
    f"{EXOD}/PN_rate.fits": {"lightcurve": LightCurveOptions(bin=100.0, rate=True, energy_column="PHA")},
    f"{EXOD}/lcurve_100_M1_1/J173442-323451_lc_2.604_src.lc": {
        "lightcurve": LightCurveOptions(bin=2.604, rate=True, energy_column="PI")},
    f"{EXOD}/lcurve_100_PN_1/J173446-323317_lc_100_bgd.lc": {
        "lightcurve": LightCurveOptions(bin=100.0, rate=True, energy_column="PI")},
    f"{EXOD}/M1_image.fits": {"image": ImageOptions(bin=(80.0, 80.0), xcolumn="X", ycolumn="Y")},
    f"{EXOD}/PN_image.fits": {"image": ImageOptions(bin=(80.0, 80.0), xcolumn="X", ycolumn="Y")},
    "xga/0201903501/images/0201903501_mos1_exp1-0.50-2.00keVimg.fits": {"image": XGA_IMAGE},
    "xga/0404910601/images/0404910601_mos2_exp1-2.00-10.00keVimg.fits": {"image": XGA_IMAGE},
    "xmm-epicpn-simulator/pntffg_spectrum.ds": {
        "spectrum": SpectrumOptions(channel_bin=5, channel_min=0, channel_max=20479, energy_column="PI")},
    "gammapy-mwl/xmm_mos1_0605960101_bkg.pha": {
        "spectrum": SpectrumOptions(channel_bin=15, channel_min=0, channel_max=11999, energy_column="PI")},
    "gammapy-mwl/xmm_pn_0605960101_bkg.pha": {
        "spectrum": SpectrumOptions(channel_bin=5, channel_min=0, channel_max=20479, energy_column="PI")},
    f"{EXOD}/M1_clean.fits": {},  # a filtered event list only
}

#: evselect's defaults as SAS documents them (pySAS parameter dump, sas-reference.md §1.8).
SAS_DEFAULTS = {
    "energycolumn": "PHA", "spectralbinsize": 5, "specchannelmin": 0, "specchannelmax": 11999,
    "withspecranges": False, "ignorelegallimits": False, "nonStandardSpec": False,
    "imagebinning": "imageSize", "ximagesize": 600, "yimagesize": 600, "ximagebinsize": 1.0, "yimagebinsize": 1.0,
    "ximagemin": 1.0, "ximagemax": 640.0, "yimagemin": 1.0, "yimagemax": 640.0, "squarepixels": False,
    "imagedatatype": "Real64", "zcolumn": "WEIGHT", "zerrorcolumn": "EWEIGHT", "xcolumn": "RAWX",
    "ycolumn": "RAWY", "timecolumn": "TIME", "timebinsize": 1.0, "timemin": 0.0, "timemax": 1000.0,
    "withtimeranges": False, "maketimecolumn": False, "makeratecolumn": False,
    "withxranges": False, "withyranges": False, "withimagedatatype": False, "withzcolumn": False,
    "withzerrorcolumn": False, "withcelestialcenter": False, "raimagecenter": 0.0, "decimagecenter": 0.0,
}
TABLES = (SpectrumOptions, LightCurveOptions, ImageOptions)


def xproc0_words(path) -> list[str]:
    """The ``name=value`` words of the evselect command line in a product's XPROC0 (version comment cut)."""
    with fits.open(path) as hdul:
        line = hdul[0].header["XPROC0"]
    command = shlex.split(line.split(" # (")[0])
    assert command[0] == "evselect"
    return command[1:]


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_recorded_sas_command_lines_parse_into_the_options(refdata, name):
    values = parse_parameters("evselect", xproc0_words(refdata / name), evselect_cli.PARAMS)
    assert evselect_cli.product_options(values) == RECORDED[name]


def test_table_defaults_are_those_sas_records_and_documents(refdata):
    """M1_clean.fits made no spectrum, light curve or image: its XPROC0 holds evselect's defaults for them."""
    recorded = parse_parameters("evselect", xproc0_words(refdata / EXOD / "M1_clean.fits"), evselect_cli.PARAMS)
    params = {p.name: p for p in sas_params(*TABLES)}
    assert set(params) <= set(recorded.explicit) | {"nonStandardSpec"}
    for name, param in params.items():
        if name in recorded.explicit:
            assert param.default == recorded[name], name
        assert param.default == SAS_DEFAULTS[name], name
        assert type(param.default) is type(SAS_DEFAULTS[name]), name
    assert set(SAS_DEFAULTS) == set(params)


def test_every_field_is_described_once_with_its_sas_parameter():
    for cls in TABLES:
        doc = cls.__doc__ or ""
        for parameter in cls.SAS:
            if parameter.field is not None:
                assert f"``{parameter.name}``" in doc, (cls.__name__, parameter.name)
    fields = {p.field for p in SpectrumOptions.SAS} - {None}
    assert fields == {"channel_bin", "channel_min", "channel_max", "energy_column", "ignore_legal_limits"}


def test_giving_a_product_parameter_implies_its_switch():
    """SAS's rule: ``xcolumn=RAWX`` implies ``withimageset=yes`` unless ``withimageset=no`` is given."""
    def products(*words):
        return evselect_cli.product_options(parse_parameters("evselect", list(words), evselect_cli.PARAMS))

    assert list(products("xcolumn=X", "ycolumn=Y")) == ["image"]
    assert products("xcolumn=X", "withimageset=no") == {}
    assert list(products("timebinsize=10")) == ["lightcurve"]
    assert list(products("specchannelmax=2000")) == ["spectrum"]
    assert products("energycolumn=PI") == {}  # shared by spectra and light curves: implies neither
    assert products("specchannelmax=2000")["spectrum"].channel_max == 2000  # and withspecranges
    assert products("withspectrumset=yes", "withspecranges=no", "specchannelmax=2000")["spectrum"].channel_max is None


def test_options_are_built_from_keywords_mappings_and_bare_values():
    assert SpectrumOptions.build(10) == SpectrumOptions(channel_bin=10) == SpectrumOptions.build({"channel_bin": 10})
    base = ImageOptions(bin=80, xcolumn="DETX")
    assert ImageOptions.build(base, ycolumn="DETY") == ImageOptions(bin=80, xcolumn="DETX", ycolumn="DETY")
    assert ImageOptions.build(base) is base
    with pytest.raises(ParameterError, match="'chanel_bin'.*channel_bin"):
        SpectrumOptions.build(chanel_bin=5)
    with pytest.raises(ParameterError, match="bin must be given"):
        LightCurveOptions.build(rate=False)
    with pytest.raises(ParameterError, match="LightCurveOptions expected, got a SpectrumOptions"):
        LightCurveOptions.build(SpectrumOptions())


def same_arrays(a, b, names):
    for name in names:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_products_are_the_same_through_every_entry_point(refdata, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same DATE in every product
    events = xmmframe.open_events(refdata / EXOD / "M1_clean.fits")
    spectrum = SpectrumOptions(channel_bin=5, channel_min=0, channel_max=11999)
    curve = LightCurveOptions(bin=2.604, energy_column="PI")
    image = ImageOptions(bin=(80.0, 80.0))

    by_keywords = events.spectrum(selection=SOURCE, channel_bin=5, channel_min=0, channel_max=11999)
    by_options = events.spectrum(spectrum, selection=SOURCE)
    assert by_options.cards == by_keywords.cards  # same recorded parameters
    same_arrays(by_options, by_keywords, ("channel", "counts"))
    same_arrays(make_spectrum(events, SOURCE, options=spectrum), by_options, ("channel", "counts"))
    lc_keywords = events.lightcurve(2.604, selection=SOURCE)
    lc_options = make_lightcurve(events, SOURCE, options=curve)
    assert lc_options.cards == lc_keywords.cards
    same_arrays(lc_options, lc_keywords, ("time", "rate", "error"))
    img_keywords = events.image(bin=(80.0, 80.0))
    img_options = make_image(events, None, options=image)
    assert img_options.cards == img_keywords.cards
    same_arrays(img_options, img_keywords, ("data",))

    with_dicts = xmmframe.evselect(events, SOURCE, spectrum=True, lightcurve=True,
                                   spectrum_options={"channel_bin": 5, "channel_min": 0, "channel_max": 11999},
                                   lightcurve_options={"bin": 2.604})
    with_options = xmmframe.evselect(events, SOURCE, spectrum=True, lightcurve=True, spectrum_options=spectrum,
                                     lightcurve_options=curve)
    for made in (with_dicts, with_options):
        same_arrays(made.spectrum, by_options, ("channel", "counts"))
        assert made.spectrum.exposure == by_options.exposure
        same_arrays(made.lightcurve, lc_options, ("time", "rate", "error"))
    assert with_dicts.spectrum.cards == with_options.spectrum.cards
    with pytest.raises(ParameterError, match="SpectrumOptions: unknown option.*'bins'"):
        xmmframe.evselect(events, SOURCE, spectrum=True, spectrum_options={"bins": 5})

    table = refdata / EXOD / "M1_clean.fits"
    assert main(["evselect", f"table={table}", f"expression={SOURCE}", "energycolumn=PI",
                 f"spectrumset={tmp_path}/src.pha", "withspecranges=yes", "specchannelmin=0", "specchannelmax=11999",
                 f"rateset={tmp_path}/src.lc", "timebinsize=2.604", "makeratecolumn=yes"]) == 0
    assert main(["evselect", f"table={table}", f"imageset={tmp_path}/img.fits", "xcolumn=X", "ycolumn=Y",
                 "imagebinning=binSize", "ximagebinsize=80", "yimagebinsize=80"]) == 0
    with fits.open(tmp_path / "src.pha") as pha:
        np.testing.assert_array_equal(pha["SPECTRUM"].data["COUNTS"], by_options.counts)
        assert pha["SPECTRUM"].header["EXPOSURE"] == by_options.exposure
    with fits.open(tmp_path / "src.lc") as lc:
        np.testing.assert_array_equal(lc["RATE"].data["RATE"], lc_options.rate)
        np.testing.assert_array_equal(lc["RATE"].data["TIME"], lc_options.time)
    with fits.open(tmp_path / "img.fits") as img:
        np.testing.assert_array_equal(img[0].data, img_options.data)


def test_other_tasks_follow_the_implied_switch_rule(refdata, tmp_path, monkeypatch):
    """``energymin=...`` implies rmfgen's ``withenergybins``, ``rmfset=...`` arfgen's ``withrmfset``."""
    from xmmframe.io.responses import read_arf, read_rmf

    monkeypatch.chdir(tmp_path)
    spec = str(refdata / "jaxspec/PN_spectrum_grp20.fits")
    assert main(["rmfgen", f"spectrumset={spec}", "rmfset=pn.rmf", "energymin=0.1", "energymax=12",
                 "nenergybins=400"]) == 0
    assert read_rmf(tmp_path / "pn.rmf").n_energies == 400
    assert main(["arfgen", f"spectrumset={spec}", "arfset=pn.arf", "rmfset=pn.rmf"]) == 0
    assert read_arf(tmp_path / "pn.arf").specresp.size == 400
    assert main(["arfgen", f"spectrumset={spec}", "arfset=own.arf", "withrmfset=no", "rmfset=pn.rmf"]) == 0
    assert read_arf(tmp_path / "own.arf").specresp.size != 400
