"""The grey-zone models of the study library, imported as the studies import them."""

import sys
from pathlib import Path

import pytest

from uqscale.models.loading import load_callable

STUDIES = Path(__file__).resolve().parents[2] / "studies"


def study_module(spec: str):
    """The module of ``models.NAME:function``, loaded from ``studies/`` like a study."""
    return sys.modules[load_callable(spec, STUDIES).__module__]


@pytest.fixture(scope="module")
def front():
    return study_module("models.bistable_front:front_speed")


@pytest.fixture(scope="module")
def convection():
    return study_module("models.convection_greyzone:convection")
