"""``xmmframe quicklook PRODUCT.fits -o out.png``: a PNG quick look of a spectrum, light curve or image.

The product type comes from the file's ``HDUCLAS1`` (``SPECTRUM``, ``LIGHTCURVE``, ``IMAGE``; a
2-D primary array counts as an image).  The default output is the product's name with ``.png``.

Examples
--------
.. code-block:: console

    $ xmmframe quicklook M1_image.fits -o M1_image.png
    $ xmmframe quicklook J173442-323451_lccorr_2.604.lc
"""

from __future__ import annotations

import argparse
import os


def run(args: argparse.Namespace) -> int:
    """Plot the product and write the PNG."""
    from xmmframe.products.quicklook import save_quicklook

    output = args.output or os.path.splitext(os.path.basename(args.product))[0] + ".png"
    kind = save_quicklook(args.product, output, overwrite=args.clobber, dpi=args.dpi)
    print(f"quicklook: {kind.lower()} {args.product} -> {output}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``quicklook`` subcommand."""
    parser = subparsers.add_parser("quicklook", help="PNG quick look of a spectrum, light curve or image",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("product", help="product file (OGIP spectrum, light curve, or image)")
    parser.add_argument("-o", "--output", help="PNG to write (default: PRODUCT.png in the current directory)")
    parser.add_argument("-c", "--clobber", action="store_true", help="replace an existing PNG")
    parser.add_argument("--dpi", type=int, default=110, help="resolution (dots per inch)")
    parser.set_defaults(func=run)
