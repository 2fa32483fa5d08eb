"""The configs/ folder against the docs: every YAML loads, every shipped config's ``init:`` names the
``best.pt`` that an earlier command of its model-card chain writes, and every ``configs/...`` path the
docs mention exists. These read the real files, so a rename that forgets a doc fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from qrdeblur.train.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHIPPED = CONFIGS / "shipped"
CARD = ROOT / "src" / "qrdeblur" / "weights" / "MODEL_CARD.md"

YAMLS = sorted([*CONFIGS.rglob("*.yaml"), *CONFIGS.rglob("*.yml")])
SHIPPED_YAMLS = sorted(SHIPPED.glob("*.yaml"))

#: ``qrdeblur train --config configs/...yaml --out runs/...`` inside a fenced block of the card.
TRAIN_LINE = re.compile(r"qrdeblur train --config (configs/\S+?\.ya?ml) --out (\S+)")
#: A path under configs/ as the docs write it (trailing punctuation excluded).
CONFIG_PATH = re.compile(r"configs/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]")
INIT_PATH = re.compile(r"runs/([^/]+)/best\.pt")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _inits(values) -> list[str]:
    """Every value of a key named ``init``, at any depth."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "init" and value is not None:
                found.append(value)
            else:
                found.extend(_inits(value))
    elif isinstance(values, list):
        for value in values:
            found.extend(_inits(value))
    return found


def _chains() -> list[list[tuple[str, str]]]:
    """The card's fenced blocks, each as its ordered (config, out) train commands."""
    text = CARD.read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    chains = [TRAIN_LINE.findall(block) for block in blocks]
    return [chain for chain in chains if chain]


def test_configs_are_grouped():
    assert SHIPPED_YAMLS, "configs/shipped/ holds no config"
    for path in YAMLS:
        where = f"{_rel(path)}: configs live one folder deep (shipped/, paper/, ablations/)"
        assert path.parent.parent == CONFIGS, where


@pytest.mark.parametrize("path", YAMLS, ids=[_rel(p) for p in YAMLS])
def test_every_config_loads(path):
    cfg = load_config(path)
    assert cfg.steps > 0


def test_card_chains_train_each_shipped_config_into_its_own_run():
    chains = _chains()
    assert chains, f"{_rel(CARD)}: no fenced block with a qrdeblur train command"
    trained = set()
    for chain in chains:
        for config, out in chain:
            assert (ROOT / config).is_file(), f"{_rel(CARD)}: trains {config}, which does not exist"
            stem = Path(config).stem
            if config.startswith("configs/shipped/"):
                assert out.rstrip("/") == f"runs/{stem}", f"{_rel(CARD)}: {config} trains into {out}, not runs/{stem}"
                trained.add(stem)
    missing = sorted({p.stem for p in SHIPPED_YAMLS} - trained)
    assert not missing, f"shipped configs no chain of {_rel(CARD)} trains: {missing}"


@pytest.mark.parametrize("path", SHIPPED_YAMLS, ids=[_rel(p) for p in SHIPPED_YAMLS])
def test_shipped_init_is_an_earlier_link_of_its_chain(path):
    chains = _chains()
    me = _rel(path)
    for init in _inits(yaml.safe_load(path.read_text(encoding="utf-8"))):
        match = INIT_PATH.fullmatch(str(init))
        assert match, f"{me}: init {init!r} is not runs/<stem>/best.pt"
        stem = match.group(1)
        parent = SHIPPED / f"{stem}.yaml"
        assert parent.is_file() and parent != path, f"{me}: init {init} is not written by another shipped config"
        before = _rel(parent)
        ok = False
        for chain in chains:
            configs = [config for config, _ in chain]
            if before in configs and me in configs and configs.index(before) < configs.index(me):
                ok = True
        assert ok, f"{me}: no chain in {_rel(CARD)} trains {before} before it"


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), CARD, *YAMLS]


@pytest.mark.parametrize("doc", _doc_files(), ids=[_rel(p) for p in _doc_files()])
def test_configs_paths_in_docs_exist(doc):
    text = doc.read_text(encoding="utf-8")
    missing = sorted({m for m in CONFIG_PATH.findall(text) if not (ROOT / m).exists()})
    assert not missing, f"{_rel(doc)} names configs paths that do not exist: {missing}"
