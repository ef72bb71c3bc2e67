"""The program's one version number: `process.py --version`, the offline bundle's name (make bundle)."""

__version__ = "1.0.0"
