"""The one atomic-write path: all-or-nothing groups, exclusive outputs, long names, permissions."""

from __future__ import annotations

import os
import stat

import pytest

import xmmframe
from tests.reliability.writer import make_input
from xmmframe.errors import OutputError
from xmmframe.io.atomic import atomic_group, atomic_output, atomic_path


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    path = tmp_path_factory.mktemp("events") / "events.fits"
    make_input(path, n=20_000)
    return xmmframe.open_events(path)


def test_evselect_products_are_all_or_nothing(events, tmp_path):
    """The light curve cannot be written (a folder has its name): the spectrum is not left either."""
    (tmp_path / "src.lc").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        xmmframe.evselect(events, "PATTERN<=4", spectrum=tmp_path / "src.pha", lightcurve=tmp_path / "src.lc",
                          lightcurve_options={"bin": 10.0}, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["src.lc"]
    assert not any((tmp_path / "src.lc").iterdir())


def test_evselect_group_writes_every_product(events, tmp_path):
    result = xmmframe.evselect(events, "PATTERN<=4", spectrum=tmp_path / "src.pha", lightcurve=tmp_path / "src.lc",
                               lightcurve_options={"bin": 10.0})
    assert sorted(os.listdir(tmp_path)) == ["src.lc", "src.pha"]
    written = xmmframe.Spectrum.read(tmp_path / "src.pha")
    assert int(written.counts.sum()) == int(result.spectrum.counts.sum()) == result.selected


def test_group_error_leaves_nothing_and_keeps_old_files(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"old a")
    with pytest.raises(RuntimeError), atomic_group():
        with atomic_output(tmp_path / "a.txt") as stream:
            stream.write(b"new a")
        with atomic_output(tmp_path / "b.txt") as stream:
            stream.write(b"new b")
        assert (tmp_path / "a.txt").read_bytes() == b"old a"  # nothing renamed before the group ends
        raise RuntimeError("a later step fails")
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]
    assert (tmp_path / "a.txt").read_bytes() == b"old a"


def test_one_output_twice_in_a_group_is_refused(tmp_path):
    with pytest.raises(OutputError, match="written twice"), atomic_group():
        for _ in range(2):
            with atomic_output(tmp_path / "a.txt") as stream:
                stream.write(b"x")
    assert os.listdir(tmp_path) == []


def test_lock_is_exclusive_and_released(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_path(target):
        with pytest.raises(OutputError, match="another process is writing this output"):
            with atomic_path(target):
                pass
    with atomic_output(target) as stream:  # released: a new write goes through
        stream.write(b"x")
    assert os.listdir(tmp_path) == ["a.txt"]


def test_longest_legal_name_can_be_written(tmp_path):
    name = "s" * 250 + ".pha"
    with atomic_output(tmp_path / name) as stream:
        stream.write(b"x")
    assert os.listdir(tmp_path) == [name]


def test_outputs_get_the_usual_permissions(tmp_path):
    with atomic_output(tmp_path / "a.txt") as stream:
        stream.write(b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o666 & ~umask
