"""``qrdeblur synth`` from the outside: files written, reproducible, and one clean line on bad input."""

import json

import pytest
from typer.testing import CliRunner

from qrdeblur.cli import app


def _run(*args):
    return CliRunner().invoke(app, ["synth", *map(str, args)])


def _snapshot(folder):
    """Every file under ``folder`` with its bytes (empty when it does not exist)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_one_error_line(result, *needles):
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("qrdeblur: error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_synth_paper_writes_pairs(tmp_path):
    out = tmp_path / "out"
    result = _run(out, "--preset", "paper", "--count", 5, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    sharp = sorted(p.name for p in (out / "sharp").iterdir())
    blurred = sorted(p.name for p in (out / "blurred").iterdir())
    assert len(sharp) == 5 and sharp == blurred
    assert all(name.endswith(".png") for name in sharp)
    lines = (out / "meta.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    records = [json.loads(line) for line in lines]
    assert [r["file"] for r in records] == sharp
    for r in records:
        assert r["preset"] == "paper" and r["seed"] == 1
        for key in ("payload", "version", "ecc", "mask", "motion_length", "motion_angle", "gaussian_sigma"):
            assert key in r, key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left behind


def test_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        assert _run(tmp_path / name, "--preset", "paper", "--count", 3, "--seed", 7).exit_code == 0
    assert _run(tmp_path / "c", "--preset", "paper", "--count", 3, "--seed", 8).exit_code == 0
    a, b, c = (_snapshot(tmp_path / n) for n in "abc")
    assert len(a) == 7 and a == b
    assert a["blurred/000000.png"] != c["blurred/000000.png"]


def test_force_replaces_a_non_empty_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    result = _run(out, "--preset", "paper", "--count", 1, "--force")
    assert result.exit_code == 0, result.output
    assert set(_snapshot(out)) == {"meta.jsonl", "sharp/000000.png", "blurred/000000.png"}


def _payload_file(tmp_path, content: bytes | None):
    f = tmp_path / "payloads.txt"
    if content is not None:
        f.write_bytes(content)
    return f


@pytest.mark.parametrize(
    "extra,needles",
    [
        pytest.param(["--preset", "papr"], ["'papr'", "paper", "default"], id="unknown-preset"),
        pytest.param(["--payloads", None], ["payloads.txt", "not found"], id="payload-file-missing"),
        pytest.param(["--payloads", b"\xff\xfeLOT\n"], ["payloads.txt", "not UTF-8"], id="not-utf8"),
        pytest.param(["--payloads", b"\n\n"], ["payloads.txt", "no payloads"], id="payload-file-empty"),
        pytest.param(
            ["--payloads", b"FINE\n" + b"A" * 8000 + b"\n"],
            ["payloads.txt", "payload 2", "8000 characters", "does not fit"],
            id="payload-too-long",
        ),
    ],
)
def test_bad_input_one_line_exit_1_nothing_written(tmp_path, extra, needles):
    args = list(extra)
    if args[0] == "--payloads":
        args[1] = _payload_file(tmp_path, args[1])
    before = {p.name for p in tmp_path.iterdir()}
    out = tmp_path / "out"
    result = _run(out, "--count", 3, "--preset", "paper", *args)  # a repeated option: the last one wins
    _assert_one_error_line(result, *needles)
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == before


def test_non_empty_out_without_force_is_untouched(tmp_path):
    out = tmp_path / "out"
    (out / "sharp").mkdir(parents=True)
    (out / "meta.jsonl").write_text('{"mine": true}\n')
    (out / "sharp" / "x.png").write_bytes(b"not really a png")
    before = _snapshot(out)
    result = _run(out, "--preset", "paper", "--count", 2)
    _assert_one_error_line(result, str(out), "not empty", "--force")
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_is_a_file(tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    _assert_one_error_line(_run(out, "--preset", "paper", "--count", 2), str(out), "not a folder")
    assert out.read_text() == "a file"
