"""The package version: a leaf module every layer may import."""

from __future__ import annotations

__version__ = "0.1.0"
