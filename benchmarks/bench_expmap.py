"""Benchmark: exposure maps (``xmmframe.imaging.exposure_map``, SAS eexpmap), issue 14.

Three measurements in one run:

``end to end``
    ``exposure_map`` of the XGA MOS1 0.5-2 keV map of obs 0201903501 (512 x 512 template,
    9.5 ks MOS exposure, the real clean event list and ATTHK file; 4 x 4 samples per pixel):
    event list opened, layout and detector-to-sky fit measured, attitude binned, summed.  Best
    of ``--repeat`` after one warm-up call (numba kernels cached).  Target: < 2 s.
``cost curve``
    the compiled sum alone for grids of 128^2 .. 512^2 pixels and 1 .. 64 attitude steps (the
    same CCD layout, steps spread by a few arcsec), to show the cost ~ pixels x steps.
``numpy peer``
    the same sum written with plain numpy (vectorised over pixels, a Python loop over steps and
    CCDs), same inputs, same result checked to 1e-9; the ratio numpy / numba.

Examples
--------
::

    PYTHONPATH=$PWD python benchmarks/bench_expmap.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import best_of, machine, table

from xmmframe.imaging.expmap import exposure_map
from xmmframe.imaging.expmap_kernel import accumulate

REFDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "refdata")
OBS = "0201903501"


def _inputs() -> dict[str, str]:
    base = os.path.join(REFDATA, "xga", OBS)
    return {"events": os.path.join(base, "eclean", "mos1_exp1_clean_evts.fits"),
            "image": os.path.join(base, "images", f"{OBS}_mos1_exp1-0.50-2.00keVimg.fits"),
            "attitude": os.path.join(base, "emchain", f"P{OBS}OBX000ATTTSR0000.FIT")}


def _kernel_inputs(n: int, steps: int) -> tuple:
    """A MOS-like layout (7 CCDs of 600 x 600 pixels of 22 units) and ``steps`` affine maps."""
    rng = np.random.default_rng(1)
    span = 44500.0  # sky units covered by the grid (as the XGA 512 x 512 x 87 images)
    xs = 3692.0 + (np.arange(n) + 0.0) * span / n
    px, py = np.meshgrid(xs, xs)
    jac = np.array([span / n, 0.0, 0.0, span / n])
    centre = 25921.0
    angle = np.deg2rad(30.0)
    affines = np.zeros((steps, 2, 3))
    for k in range(steps):
        a = angle + rng.normal(0, 1e-4)
        c, s = np.cos(a), np.sin(a)
        shift = rng.normal(0, 40.0, 2)  # 2 arcsec
        inv = np.array([[c, s], [-s, c]])
        affines[k, :, :2] = inv
        affines[k, :, 2] = -inv @ (np.array([centre, centre]) + shift)
    offsets = [(0, 0), (-13300, -6650), (-13300, 6650), (0, 13300), (13300, 6650), (13300, -6650), (0, -13300)]
    ccd_affine = np.zeros((7, 2, 3))
    for c, (ox, oy) in enumerate(offsets):
        ccd_affine[c, :, :2] = np.eye(2) / 22.0
        ccd_affine[c, :, 2] = (-np.array([ox, oy]) + 6600.0) / 22.0
    size = np.full((7, 2), 600, np.int64)
    masked = np.zeros((7, 602, 602), np.uint8)
    masked[:, rng.integers(1, 600, 300), rng.integers(1, 600, 300)] = 1
    exposure = np.full((7, steps), 9300.0 / steps)
    fov_radius = np.full(180, 17500.0)
    vig = np.linspace(1.0, 0.3, 601)
    return (px, py, jac, 4, affines, ccd_affine, size, masked, exposure, 0.0, 0.0, fov_radius, 0.0, 0.0,
            0.05 / 60.0, 0.05, vig, np.zeros(10))


def _numba_sum(args: tuple) -> np.ndarray:
    out = np.zeros(args[0].shape)
    accumulate(*args, out)
    return out


def _numpy_sum(args: tuple) -> np.ndarray:
    """The same sum with numpy arrays: sub-pixel offsets, steps and CCDs looped in Python."""
    (px, py, jac, sub, steps, ccd_affine, size, masked, exposure, fx, fy, fov_radius, ax, ay, scale, vstep,
     vig, _azimuth) = args  # the synthetic layout has no azimuthal term (zeros)
    out = np.zeros(px.shape)
    nsec = fov_radius.size
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    for oi in offsets:
        for oj in offsets:
            x = px + jac[0] * oi + jac[1] * oj
            y = py + jac[2] * oi + jac[3] * oj
            for k in range(steps.shape[0]):
                dx = steps[k, 0, 0] * x + steps[k, 0, 1] * y + steps[k, 0, 2]
                dy = steps[k, 1, 0] * x + steps[k, 1, 1] * y + steps[k, 1, 2]
                sector = np.minimum(((np.arctan2(dy - fy, dx - fx) + np.pi) / (2 * np.pi) * nsec).astype(int),
                                    nsec - 1)
                infov = np.hypot(dx - fx, dy - fy) <= fov_radius[sector]
                theta = np.hypot(dx - ax, dy - ay) * scale / vstep
                factor = np.interp(theta, np.arange(vig.size), vig)
                for c in range(ccd_affine.shape[0]):
                    rx = ccd_affine[c, 0, 0] * dx + ccd_affine[c, 0, 1] * dy + ccd_affine[c, 0, 2]
                    ry = ccd_affine[c, 1, 0] * dx + ccd_affine[c, 1, 1] * dy + ccd_affine[c, 1, 2]
                    on = infov & (rx >= 0.5) & (ry >= 0.5) & (rx < size[c, 0] + 0.5) & (ry < size[c, 1] + 0.5)
                    ix = np.floor(rx[on] + 0.5).astype(int)
                    iy = np.floor(ry[on] + 0.5).astype(int)
                    good = masked[c, ix, iy] == 0
                    add = np.zeros(px.shape)
                    add[on] = np.where(good, exposure[c, k] * factor[on], 0.0)
                    out += add
    return out / (sub * sub)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--numpy-steps", type=int, default=4, help="attitude steps of the numpy comparison")
    args = parser.parse_args()
    print(machine())
    files = _inputs()

    def end_to_end():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return exposure_map(files["events"], files["image"], pimin=500, pimax=2000, attitude=files["attitude"])

    end_to_end()  # warm-up: compile/load the numba kernels, fill OS caches
    best, median, emap = best_of(end_to_end, args.repeat)
    print(f"\nend to end (512 x 512, 4 x 4 samples, {emap.keyword('NATTSTEP')} attitude step(s)): "
          f"best {best:.3f} s, median {median:.3f} s (target < 2 s)")
    k_args = _kernel_inputs(512, 1)
    kbest, _, _ = best_of(lambda: _numba_sum(k_args), args.repeat)
    print(f"  of which the compiled sum: {kbest:.3f} s")

    rows = []
    _numba_sum(_kernel_inputs(64, 1))
    for n in (128, 256, 512):
        for steps in (1, 4, 16, 64):
            if n == 512 and steps == 64 and args.repeat < 2:
                continue
            kin = _kernel_inputs(n, steps)
            t, _, _ = best_of(lambda kin=kin: _numba_sum(kin), max(1, min(args.repeat, 3)))
            rows.append([f"{n}^2", steps, f"{n * n * steps / 1e6:.2f}", f"{t:.4f}", f"{t / (n * n * steps) * 1e9:.1f}"])
    print("\ncost curve (compiled sum, 16 samples per pixel):")
    print(table(["pixels", "steps", "pixel-steps (M)", "seconds", "ns per pixel-step"], rows))

    kin = _kernel_inputs(512, args.numpy_steps)
    t_numba, _, ours = best_of(lambda: _numba_sum(kin), args.repeat)
    t_numpy, _, peer = best_of(lambda: _numpy_sum(kin), 1)
    np.testing.assert_allclose(ours, peer, rtol=1e-9, atol=1e-9)
    print(f"\nnumpy peer (512^2, {args.numpy_steps} steps): numpy {t_numpy:.2f} s, numba {t_numba:.3f} s, "
          f"ratio {t_numpy / t_numba:.1f}x (same values to 1e-9)")


if __name__ == "__main__":
    main()
