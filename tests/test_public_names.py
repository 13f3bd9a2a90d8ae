"""The package's public names: ``uqscale`` re-exports the study object model as it is."""

import uqscale
import uqscale.study


def test_every_study_name_is_the_same_object_at_the_top():
    assert uqscale.study.__all__  # the study package lists its names
    for name in uqscale.study.__all__:
        assert name in uqscale.__all__
        assert getattr(uqscale, name) is getattr(uqscale.study, name), name


def test_the_top_names_are_listed_once_and_all_resolve():
    assert len(uqscale.__all__) == len(set(uqscale.__all__))
    missing = [name for name in uqscale.__all__ if not hasattr(uqscale, name)]
    assert missing == []
