"""The ``latent-kernel`` step in the cascade: the picture network's place is taken by the true sharp scene
(the network's best case) or by nothing, so these tests check the step's plumbing with zxing-cpp as the
oracle, not the network's quality (``research/shake_latent_eval.py`` measures that)."""

import numpy as np

import qrdeblur.scan.steps as steps_mod
from qrdeblur.decode.zxing import read_grey
from qrdeblur.restore.latent_kernel import code_region
from qrdeblur.scan import Cascade, CascadeConfig, Step, scan
from qrdeblur.scan.scene import Scene
from qrdeblur.synth.shake import frame_scale, shake_scene, to_frame

SPEC = ("LATENT-STEP-TEST-3", 3, "M")
ONLY_LATENT = CascadeConfig(
    main_steps=(), alt_steps=(Step("latent-kernel", "latent-kernel"),), grid_versions=0, contrast_clip=0
)


def _shaken(seed=4):
    return shake_scene(np.random.default_rng(seed), SPEC, "test", (7.0, 8.0), linear_share=0.0)


def _true_picture(item, sharp, seen):
    """The true sharp scene as the picture network, for whichever candidate holds the code."""

    def picture(frame):
        # the frame of the candidate being tried: the truth in the same frame, when it is the code's
        for quad in seen:
            x0, y0, x1, y1 = code_region(quad, sharp.shape)
            truth = to_frame(sharp[y0:y1, x0:x1], frame_scale(quad))
            if truth.shape == frame.shape:
                return truth
        return np.full_like(frame, 0.5)

    return picture


def test_the_step_reads_a_shaken_code_with_a_true_picture_and_reports_its_method(monkeypatch):
    item, sharp = _shaken()
    seen = []
    original = Cascade.attempt

    def attempt(self, scene, cand, step, time_left=np.inf):
        seen[:] = [cand.quad]
        return original(self, scene, cand, step, time_left)

    monkeypatch.setattr(Cascade, "attempt", attempt)
    monkeypatch.setattr(Scene, "latent_picture", property(lambda self: _true_picture(item, sharp, seen)))
    assert SPEC[0] not in {r.text for r in read_grey(item.image)[0]}
    codes = scan(item.image, deblurrer=None, config=ONLY_LATENT, budget_ms=60_000)
    assert [(c.text, c.method) for c in codes] == [(SPEC[0], "latent-kernel")]
    # the outline reported is the code's, in image pixels
    assert np.linalg.norm(np.mean(codes[0].corners, axis=0) - item.corners.mean(axis=0)) < 0.2 * 80


def test_without_a_picture_network_the_step_is_skipped(monkeypatch):
    item, _ = _shaken()
    asked = []
    monkeypatch.setattr(Scene, "latent_picture", property(lambda self: asked.append(1)))
    fitted = []
    monkeypatch.setattr(steps_mod, "latent_kernel_restorations", lambda *a, **k: fitted.append(1) or iter(()))
    assert scan(item.image, deblurrer=None, config=ONLY_LATENT, budget_ms=60_000) == []
    assert asked and not fitted
