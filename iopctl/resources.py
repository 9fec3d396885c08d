"""Where packaged data lives: installed as iopctl._schemas / iopctl._templates, or the source tree."""
from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def data_dir(name: str) -> Traversable:
    """`schemas` or `templates`: package data when installed, else the checkout's folder."""
    try:
        return resources.files(f"iopctl._{name}")
    except ModuleNotFoundError:  # running from a source checkout without installing
        return Path(__file__).resolve().parent.parent / name
