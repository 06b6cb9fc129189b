"""The xmmframe version (one place; the package, its files and products all read it here)."""

__version__ = "0.1.0"
