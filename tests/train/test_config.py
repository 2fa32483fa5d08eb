"""Training config: YAML -> dataclasses, unknown keys refused with their path, round trip."""

import pytest

from qrdeblur.errors import UsageError
from qrdeblur.train.config import config_from_dict, config_to_dict, load_config, save_config


def test_load_nested_values(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("steps: 7\nloss: {binary: 0.5, adversarial: {kind: wgan, weight: 0.1}}\n")
    cfg = load_config(path)
    assert cfg.steps == 7
    assert cfg.loss.binary == 0.5
    assert cfg.loss.adversarial.kind == "wgan" and cfg.loss.adversarial.weight == 0.1
    assert cfg.loss.l1 == 1.0  # default kept


def test_unknown_key_is_named_with_its_path(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("loss: {adversarial: {knd: wgan}}\n")
    with pytest.raises(UsageError, match=r"c.yaml.*loss\.adversarial\.knd"):
        load_config(path)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [1, 2\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        load_config(bad)


def test_round_trip(tmp_path):
    cfg = config_from_dict({"seed": 3, "data": {"batch_size": 4}})
    save_config(cfg, tmp_path / "r.yaml")
    again = load_config(tmp_path / "r.yaml")
    assert config_to_dict(again) == config_to_dict(cfg)


def test_shipped_configs_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "configs"
    for path in sorted(root.glob("**/*.yaml")):
        assert load_config(path).steps > 0
