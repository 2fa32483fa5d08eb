"""configs/paper-full: the four full-width variants of the paper's experiment differ only where intended.

Each is the paper's recipe at width 1.0 (batch 10, Adam 1e-4, decay 0.99 / 1000, WGAN with clipping,
1500 steps, validation every 100 steps); they differ only in the detail loss and the pixel term.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qrdeblur.train.config import config_to_dict, load_config

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT / "configs" / "paper-full"
CODE_VGG = "runs/code-vgg/vgg16-codes.pth"

#: variant -> the keys (flattened) that differ from random-vgg.yaml, and their values there
INTENDED = {
    "random-vgg": {},
    "no-detail": {"loss.detail.weight": 0.0},
    "code-vgg": {"loss.detail.weights": CODE_VGG},
    "pixel": {"loss.l1": 1.0},
}


def _flat(values: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in values.items():
        if isinstance(value, dict) and key != "args":
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _load(name: str) -> dict:
    return _flat(config_to_dict(load_config(FULL / f"{name}.yaml")))


def test_the_folder_holds_the_four_variants():
    assert sorted(p.stem for p in FULL.glob("*.yaml")) == sorted(INTENDED)


def test_the_base_is_the_papers_recipe_at_full_width():
    c = _load("random-vgg")
    assert c["generator.name"] == "paper-g" and c["generator.args"]["width"] == 1.0
    assert c["discriminator.name"] == "paper-d" and c["discriminator.args"]["width"] == 1.0
    assert (c["data.preset"], c["data.batch_size"], c["data.size"], c["data.grey"]) == ("paper", 10, 80, False)
    assert c["data.payloads"] == "configs/paper/paper-codes.txt"
    assert (c["optim.lr_g"], c["optim.lr_d"], c["optim.decay"], c["optim.decay_every"]) == (1e-4, 1e-4, 0.99, 1000)
    assert (c["loss.adversarial.kind"], c["loss.adversarial.weight"], c["loss.adversarial.clip"]) == ("wgan", 1.0, 0.01)
    assert (c["loss.detail.weight"], c["loss.detail.weights"], c["loss.detail.max_images"]) == (1.0, "random", None)
    assert (c["loss.l1"], c["loss.binary"], c["loss.edge"]) == (0.0, 0.0, 0.0)
    assert (c["steps"], c["val.every"], c["seed"], c["threads"], c["device"]) == (1500, 100, 0, 2, "auto")


@pytest.mark.parametrize("name", sorted(INTENDED))
def test_each_variant_differs_only_in_its_intended_keys(name):
    base, mine = _load("random-vgg"), _load(name)
    assert set(base) == set(mine)
    differing = {k: mine[k] for k in base if base[k] != mine[k]}
    assert differing == INTENDED[name]


def test_code_vgg_weights_are_what_the_training_script_writes():
    header = (FULL / "code-vgg.yaml").read_text(encoding="utf-8")
    assert "research/train_code_vgg.py --out runs/code-vgg" in header
    script = (ROOT / "research" / "train_code_vgg.py").read_text(encoding="utf-8")
    assert '"vgg16-codes.pth"' in script and 'Path("runs/code-vgg")' in script


@pytest.mark.parametrize("name", sorted(INTENDED))
def test_each_header_names_its_own_run_command(name):
    text = (FULL / f"{name}.yaml").read_text(encoding="utf-8")
    assert f"--config configs/paper-full/{name}.yaml --out runs/paper-full/{name}" in text
    assert "research/paper_fullwidth.sh" in text
