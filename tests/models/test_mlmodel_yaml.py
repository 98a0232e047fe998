"""MLmodel is parsed with libyaml's CSafeLoader where PyYAML has it, the pure-Python safe
loader otherwise, with the same result; neither builds anything but plain data."""

from __future__ import annotations

import pytest
import yaml
from sklearn.linear_model import LinearRegression

import minitrack.sklearn
from minitrack import MinitrackException
from minitrack.models.mlmodel import Model, load_yaml, yaml_loader


@pytest.fixture
def saved(tmp_path):
    folder = tmp_path / "model"
    minitrack.sklearn.save_model(LinearRegression().fit([[1.0], [2.0]], [2.0, 4.0]), folder)
    return folder


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="this PyYAML was built without libyaml")
def test_libyaml_parses_mlmodel_where_it_is_there(saved):
    assert yaml_loader() is yaml.CSafeLoader
    text = (saved / "MLmodel").read_text()
    assert load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_without_libyaml_the_safe_loader_reads_the_same_model(saved, monkeypatch):
    with_default = Model.load(saved).to_dict()
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)

    assert yaml_loader() is yaml.SafeLoader
    assert Model.load(saved).to_dict() == with_default
    assert minitrack.sklearn.load_model(saved).predict([[3.0]])[0] == pytest.approx(6.0)


def test_an_mlmodel_asking_to_run_code_is_refused(saved, tmp_path):
    marker = tmp_path / "ran"
    (saved / "MLmodel").write_text(
        f"flavors: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8"
    )
    with pytest.raises(MinitrackException, match="not a valid MLmodel file"):
        Model.load(saved)
    assert not marker.exists()


def test_an_mlmodel_that_is_not_yaml_says_so(saved):
    (saved / "MLmodel").write_text("flavors: [unclosed\n", encoding="utf-8")
    with pytest.raises(MinitrackException, match="not YAML.*Save the model again"):
        Model.load(saved)
