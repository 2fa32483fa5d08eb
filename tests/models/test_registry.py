"""Model registry: names -> constructors, argument passing, errors, parameter counts."""

import pytest
import torch

from qrdeblur.errors import UsageError
from qrdeblur.models.paper import PaperDiscriminator, PaperGenerator
from qrdeblur.models.patchgan import PatchDiscriminator
from qrdeblur.models.registry import count_parameters, create_model, model_names
from qrdeblur.models.unet import QRUNet


@pytest.mark.parametrize(
    "name, cls, kwargs",
    [
        ("qrunet", QRUNet, {"width": 8}),
        ("paper-g", PaperGenerator, {"width": 0.125}),
        ("paper-d", PaperDiscriminator, {"width": 0.125, "image_size": 16}),
        ("patch-d", PatchDiscriminator, {"width": 0.125}),
    ],
)
def test_create_model_builds_registered_class(name, cls, kwargs):
    model = create_model(name, **kwargs)
    assert type(model) is cls
    assert model.training


def test_create_model_passes_arguments():
    small = create_model("paper-g", width=0.125, in_channels=1, out_channels=1)
    assert small.head[0].in_channels == 1 and small.head[0].out_channels == 16
    assert small(torch.rand(1, 1, 8, 8)).shape == (1, 1, 8, 8)
    assert create_model("qrunet", width=8).cfg.width == 8


def test_unknown_name_lists_choices():
    with pytest.raises(UsageError) as e:
        create_model("deblurgan")
    msg = str(e.value)
    assert "deblurgan" in msg
    for name in ("paper-d", "paper-g", "patch-d", "qrunet", "wiener-qrunet"):
        assert name in msg
    assert model_names() == ["paper-d", "paper-g", "patch-d", "qrunet", "wiener-qrunet"]


def test_bad_argument_is_a_usage_error():
    with pytest.raises(UsageError, match="paper-g"):
        create_model("paper-g", widht=0.5)


def test_count_parameters():
    model = create_model("patch-d", width=0.125, in_channels=1)
    total = sum(p.numel() for p in model.parameters())
    assert count_parameters(model) == total > 0
    first = model.net[0]
    first.requires_grad_(False)
    frozen = first.weight.numel() + first.bias.numel()
    assert count_parameters(model) == total - frozen
    assert count_parameters(model, trainable_only=False) == total
