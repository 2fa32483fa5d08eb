"""VGG16Features: torchvision's parameter layout, truncation, and loading torchvision state dicts."""

import re

import pytest
import torch

from qrdeblur.errors import UsageError
from qrdeblur.models.vgg import VGG16Features, imagenet_normalize, load_vgg16_weights

# torchvision.models.vgg16().features up to block3_conv3 (index 14; ReLUs at 1, 3, 6, 8, 11, 13, 15,
# max-pools at 4, 9): parameter names and shapes, written out from torchvision's layout.
TORCHVISION_VGG16_BLOCK3 = {
    "features.0.weight": (64, 3, 3, 3),
    "features.0.bias": (64,),
    "features.2.weight": (64, 64, 3, 3),
    "features.2.bias": (64,),
    "features.5.weight": (128, 64, 3, 3),
    "features.5.bias": (128,),
    "features.7.weight": (128, 128, 3, 3),
    "features.7.bias": (128,),
    "features.10.weight": (256, 128, 3, 3),
    "features.10.bias": (256,),
    "features.12.weight": (256, 256, 3, 3),
    "features.12.bias": (256,),
    "features.14.weight": (256, 256, 3, 3),
    "features.14.bias": (256,),
}
# the rest of torchvision's vgg16: block4/5 convs and the classifier (shapes irrelevant: ignored on load)
LATER_CONVS = (17, 19, 21, 24, 26, 28)
CLASSIFIER = ("classifier.0", "classifier.3", "classifier.6")


def _torchvision_state(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(s, generator=g) for k, s in TORCHVISION_VGG16_BLOCK3.items()}
    for i in LATER_CONVS:
        state[f"features.{i}.weight"] = torch.randn(4, 4, 3, 3, generator=g)
        state[f"features.{i}.bias"] = torch.randn(4, generator=g)
    for name in CLASSIFIER:
        state[f"{name}.weight"] = torch.randn(4, 4, generator=g)
        state[f"{name}.bias"] = torch.randn(4, generator=g)
    return state


def test_parameter_names_and_shapes_match_torchvision():
    model = VGG16Features()
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert list(ours) == list(TORCHVISION_VGG16_BLOCK3)
    assert ours == TORCHVISION_VGG16_BLOCK3
    assert [type(m).__name__ for m in model.features] == [
        "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d",
        "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d",
        "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU",
    ]  # fmt: skip


def test_truncation_at_other_layers():
    assert list(VGG16Features("block2_conv2").state_dict())[-1] == "features.7.bias"
    assert list(VGG16Features("block1_conv1").state_dict()) == ["features.0.weight", "features.0.bias"]
    with pytest.raises(UsageError, match="block3_conv3"):
        VGG16Features("block4_conv1")


def test_output_is_relu3_3():
    model = VGG16Features().eval()
    with torch.no_grad():
        out = model(imagenet_normalize(torch.rand(2, 1, 32, 24)))
    assert out.shape == (2, 256, 8, 6)
    assert (out >= 0).all() and (out > 0).any()


def test_imagenet_normalize_repeats_grey():
    grey = torch.full((1, 1, 2, 2), 0.5)
    rgb = imagenet_normalize(grey)
    assert rgb.shape == (1, 3, 2, 2)
    assert torch.allclose(rgb[0, :, 0, 0], torch.tensor([(0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224,
                                                           (0.5 - 0.406) / 0.225]))
    with pytest.raises(UsageError, match="shape"):
        imagenet_normalize(torch.rand(1, 2, 4, 4))


def test_load_torchvision_state_dict(tmp_path):
    state = _torchvision_state()
    path = tmp_path / "vgg16.pth"
    torch.save(state, path)
    model = load_vgg16_weights(VGG16Features(), path)
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
    small = load_vgg16_weights(VGG16Features("block1_conv2"), str(path))
    assert torch.equal(small.features[2].weight, state["features.2.weight"])


def test_missing_file_message(tmp_path):
    path = tmp_path / "nope.pth"
    expected = (
        f"VGG16 weights file not found: {path} (download torchvision's vgg16 ImageNet weights, "
        "or set detail.weights: random to use random features)"
    )
    with pytest.raises(UsageError, match=re.escape(expected)):
        load_vgg16_weights(VGG16Features(), path)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda s: s.pop("features.14.bias"), "features.14.bias"),  # missing a kept key
        (lambda s: s.update({"features.2.weight": torch.zeros(64, 64, 1, 1)}), "features.2.weight"),
        (lambda s: s.update({"features.1.weight": torch.ones(64)}), "features.1.weight"),  # vgg16_bn-like
        (lambda s: s.update({"fc.weight": torch.ones(1)}), "fc.weight"),
    ],
)
def test_mismatched_state_dict_is_refused(tmp_path, corrupt, message):
    state = _torchvision_state()
    corrupt(state)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(UsageError, match=re.escape(message)):
        load_vgg16_weights(VGG16Features(), path)


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a torch file")
    with pytest.raises(UsageError, match="junk.pth"):
        load_vgg16_weights(VGG16Features(), path)
    torch.save([1, 2, 3], path)
    with pytest.raises(UsageError, match="not a state dict"):
        load_vgg16_weights(VGG16Features(), path)


def test_random_init_is_seeded():
    a = VGG16Features(generator=torch.Generator().manual_seed(3))
    b = VGG16Features(generator=torch.Generator().manual_seed(3))
    c = VGG16Features(generator=torch.Generator().manual_seed(4))
    assert torch.equal(a.features[14].weight, b.features[14].weight)
    assert not torch.equal(a.features[14].weight, c.features[14].weight)
