"""identify: a code blurred past decoding is told apart from the other known codes; a code that is not
on the list, or a list without it, gives no identification; scan never replaces a decoded code."""

from __future__ import annotations

import numpy as np
import pytest

from qrdeblur.decode.zxing import read_grey
from qrdeblur.identify import KnownCodes, identify
from qrdeblur.identify.catalog import version_of
from qrdeblur.scan import locate
from qrdeblur.synth.shake import shake_scene

OTHERS = [f"https://example.com/p/{i:05d}/item" for i in range(60)]
TRUTH = "https://example.com/p/99999/lost"


def _scene(text: str, seed: int, extent=(6.0, 7.0)):
    item, _ = shake_scene(np.random.default_rng(seed), (text, version_of(text), "M"), "x", extent, linear_share=1.0)
    return item


@pytest.fixture(scope="module")
def blurred():
    item = _scene(TRUTH, 11)
    ok, _ = read_grey(item.image, errors=True)
    assert not ok  # past decoding: the premise of identifying it
    quad = locate.texture_candidates(item.image, 12, True, True)[0].quad
    return item, quad


def test_a_listed_code_is_identified_where_it_is(blurred):
    item, quad = blurred
    known = KnownCodes(OTHERS + [TRUTH])
    match = identify(item.image, quad, known)
    assert match is not None and match.text == TRUTH
    assert match.index == len(OTHERS)
    assert match.score >= 0.6 and match.margin > 0
    centre = np.mean(match.corners, axis=0)
    assert np.linalg.norm(centre - item.corners.mean(axis=0)) < 0.25 * np.ptp(item.corners[:, 0])


def test_a_list_without_the_code_identifies_nothing(blurred):
    item, quad = blurred
    assert identify(item.image, quad, KnownCodes(OTHERS)) is None


def test_a_list_of_one_other_code_is_refused(blurred):
    item, quad = blurred
    assert identify(item.image, quad, KnownCodes([OTHERS[0]])) is None


def test_a_passed_deadline_gives_no_half_made_choice(blurred):
    item, quad = blurred
    assert identify(item.image, quad, KnownCodes(OTHERS + [TRUTH]), deadline=0.0) is None


def test_scan_reports_a_match_and_keeps_decoded_codes(blurred, tmp_path):
    from qrdeblur.scan import scan

    item, _ = blurred
    codes = scan(item.image, known=OTHERS + [TRUTH], known_ms=20000)
    assert [(c.text, c.method, c.decoder) for c in codes] == [(TRUTH, "match", "identify")]
    record = codes[0].to_dict()
    assert record["score"] >= 0.6 and record["margin"] > 0
    # a code zxing-cpp decodes is reported decoded, never as a match, whatever the list says
    sharp = _scene(OTHERS[5], 12, extent=(0.2, 0.4))
    codes = scan(sharp.image, known=OTHERS)
    assert [(c.text, c.method) for c in codes] == [(OTHERS[5], "raw")]


def test_cli_scan_known_prints_the_match_and_refuses_a_bad_list(blurred, tmp_path):
    import cv2
    from typer.testing import CliRunner

    from qrdeblur.cli import app

    item, _ = blurred
    photo, listed = tmp_path / "label.png", tmp_path / "codes.txt"
    cv2.imwrite(str(photo), item.image)
    listed.write_text("\n".join(OTHERS + [TRUTH]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["scan", str(photo), "--known", str(listed), "--known-ms", "20000"])
    assert res.exit_code == 0, res.output
    assert f"{TRUTH!r} [match score" in res.output
    res = CliRunner().invoke(app, ["scan", str(photo), "--known", str(tmp_path / "missing.txt")])
    assert res.exit_code == 1 and "missing.txt: payload file not found" in res.output


def test_correlation_rank_places_the_listed_code(blurred):
    from qrdeblur.identify.match import correlation_rank

    item, quad = blurred
    known = KnownCodes(OTHERS + [TRUTH])
    rank = correlation_rank(item.image, quad, known, TRUTH)
    assert rank is not None and 0 <= rank < len(known)
    assert rank < 10  # moderate blur: the shortlist holds it
    assert correlation_rank(item.image, quad, known, "NOT LISTED") is None
