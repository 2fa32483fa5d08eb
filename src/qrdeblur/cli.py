"""``qrdeblur`` command line: a thin typer shell over the library.

Every command turns a :class:`qrdeblur.errors.UsageError` into one line on stderr and exit code 1.
Heavy imports (torch, onnxruntime) happen inside the commands that need them, so ``--help`` is instant.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

from qrdeblur.errors import UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Read blurred QR codes: synthesise training pairs, train the GAN, deblur, scan photos, benchmark.",
)


def _fail(message: str) -> None:
    typer.echo(f"qrdeblur: error: {message}", err=True)
    raise typer.Exit(1)


def user_errors(fn):
    """Run a command; a UsageError (or a missing optional dependency) becomes one line and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            _fail(str(exc))
        except ModuleNotFoundError as exc:
            if exc.name in ("torch", "onnx"):
                _fail(f"this command needs {exc.name}: pip install 'qrdeblur[train]'")
            raise
        except KeyboardInterrupt:
            _fail("interrupted")

    return wrapper


def _split(csv_list: str) -> list[str]:
    return [s.strip() for s in csv_list.split(",") if s.strip()]


def _help_from_registries(**fill):
    """A command class that fills the help of the named options (``name=fn() -> text``) when help is shown.

    The registries behind those texts import NumPy and OpenCV; reading them only for ``--help`` keeps
    every other call of the command line fast.
    """
    from typer.core import TyperCommand

    class RegistryHelpCommand(TyperCommand):
        def format_help(self, ctx, formatter):
            for param in self.params:
                if param.name in fill:
                    param.help = fill[param.name]()
            return super().format_help(ctx, formatter)

    return RegistryHelpCommand


def _preset_help() -> str:
    from qrdeblur.synth.presets import PRESETS

    return f"Pair recipe: {' | '.join(PRESETS)}."


@app.command(cls=_help_from_registries(preset=_preset_help))
@user_errors
def synth(
    out: Path = typer.Argument(..., help="Output folder (gets sharp/, blurred/, meta.jsonl)."),
    preset: str = typer.Option("default", help="Pair recipe (the presets' registry)."),
    count: int = typer.Option(1000, min=1, help="Number of pairs."),
    seed: int = typer.Option(0, help="Random seed."),
    payloads: Optional[Path] = typer.Option(None, help="Payload file (one per line): the enrolled codes."),
    size: int = typer.Option(80, min=16, help="Image side in pixels."),
    force: bool = typer.Option(False, help="Replace a non-empty OUT (its old contents are deleted)."),
):
    """Write blurred/sharp training pairs and their parameters."""
    from qrdeblur.synth.writer import write_pairs

    n = write_pairs(out, preset=preset, count=count, seed=seed, payload_file=payloads, size=size, force=force)
    typer.echo(f"wrote {n} pairs to {out}")


@app.command()
@user_errors
def train(
    config: Path = typer.Option(..., "--config", help="YAML training config (see configs/)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default runs/<config name>)."),
    resume: bool = typer.Option(False, help="Continue from OUT/last.pt."),
    nproc: int = typer.Option(
        1, "--nproc", min=1,
        help="Train on N local processes with DistributedDataParallel (as torchrun --nproc_per_node N); "
        "each process draws data.batch_size pairs, so a step sees N x batch_size.",
    ),
):
    """Train a generator (and discriminator) per a YAML config."""
    import os

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from qrdeblur.train.config import load_config
    from qrdeblur.train.trainer import check_run_folder
    from qrdeblur.train.trainer import train as run_training

    cfg = load_config(config)
    out = out or Path("runs") / config.stem
    if nproc > 1:  # torchrun starts ``python -m qrdeblur train`` (this command) in each process
        from qrdeblur.train.distributed import launch

        check_run_folder(out, resume)
        status = launch(nproc, ["--config", str(config), "--out", str(out), *(["--resume"] if resume else [])])
        if status:
            _fail(f"training on {nproc} processes failed (exit status {status})")
        return
    if os.environ.get("RANK", "0") != "0":  # another process of a torchrun: rank 0 reports
        run_training(cfg, out, resume=resume)
        return
    with Progress(TextColumn("[bold]train"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn()) as bar:
        task = bar.add_task("train", total=cfg.steps, info="")

        def progress(step, total, logs):
            info = f"{logs['phase']} loss={logs['g']:.4f}" if "phase" in logs else f"g={logs['g']:.4f}"
            if "decode_rate" in logs:
                info += f" val_decode={logs['decode_rate']:.1%} qr_mae={logs['qr_mae']:.2f}"
            bar.update(task, completed=step, total=total, info=info)

        result = run_training(cfg, out, resume=resume, progress=progress)
    typer.echo(json.dumps({"run": str(out), **{k: v for k, v in result.items() if k != "restored"}}))


@app.command()
@user_errors
def enroll(
    inputs: list[Path] = typer.Argument(
        ..., help="A payload file (.txt, one code's text per line), or clean images of the codes to enrol."
    ),
    out: Path = typer.Option(..., help="Model folder to write (model.onnx, MODEL_CARD.md, the run)."),
    steps: int = typer.Option(1500, min=1, help="Fine-tuning steps."),
    resume: bool = typer.Option(False, help="Continue a run that was stopped (OUT/run/last.pt)."),
    seed: int = typer.Option(0, help="Seed of the training pairs and the evaluation."),
    threads: int = typer.Option(1, min=1, help="Torch threads."),
    batch_size: int = typer.Option(16, min=1, help="Pairs per step."),
    int8: bool = typer.Option(True, help="Export the refiner in int8 as the shipped models are (checked)."),
):
    """Fine-tune the shipped scan generator on your own codes; scan/deblur --model OUT use it."""
    import shlex
    import sys

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from qrdeblur.synth.payloads import enrol_images, read_payload_file
    from qrdeblur.train.enroll import enroll as run_enroll

    if len(inputs) == 1 and inputs[0].suffix.lower() in (".txt", ".csv", ".list"):
        payloads = read_payload_file(inputs[0])
    else:
        payloads = enrol_images(inputs)
    command = shlex.join(["qrdeblur", "enroll", *sys.argv[2:]])
    with Progress(TextColumn("[bold]enroll"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("enroll", total=steps, info="")

        def progress(step, total, logs):
            info = f"g={logs['g']:.4f}"
            if "decode_rate" in logs:
                info += f" val_decode={logs['decode_rate']:.1%}"
            bar.update(task, completed=step, total=total, info=info)

        result = run_enroll(payloads, out, steps=steps, resume=resume, seed=seed, threads=threads,
                            batch_size=batch_size, progress=progress, command=command, int8=int8)
    typer.echo(json.dumps({"model": str(out), "codes": result["codes"], "shipped": result["shipped"]["all"],
                           "enrolled": result["enrolled"]["all"]}))


@app.command()
@user_errors
def deblur(
    images: list[Path] = typer.Argument(..., help="Blurred images (any size, grey or RGB)."),
    out: Path = typer.Option(..., help="Output folder."),
    model: Optional[Path] = typer.Option(
        None, help="Model (.onnx, .pt, or a folder made by enroll); default the shipped one."
    ),
    force: bool = typer.Option(False, help="Overwrite existing outputs."),
):
    """Deblur images with the generator; writes OUT/<name>.png."""
    import cv2

    from qrdeblur.imageio import read_image
    from qrdeblur.models.deblurrer import load_deblurrer

    deblurrer = load_deblurrer(model)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in images:
        target = out / (path.stem + ".png")
        try:
            if target.exists() and not force:
                raise UsageError(f"{target}: exists (use --force to overwrite)")
            restored = deblurrer.deblur(read_image(path))
        except UsageError as exc:
            typer.echo(f"qrdeblur: error: {exc}", err=True)
            failures += 1
            continue
        bgr = restored if restored.ndim == 2 else cv2.cvtColor(restored, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(target), bgr)
        typer.echo(f"{path} -> {target}")
    if failures == len(images):
        raise typer.Exit(1)


@app.command()
@user_errors
def scan(
    inputs: list[str] = typer.Argument(
        ..., help="Images or folders (searched recursively); videos (mp4, mkv, avi, mov, ...), stream URLs "
        "(rtsp://, http://) and frame patterns (frames/%04d.png) are scanned as videos."
    ),
    json_out: bool = typer.Option(
        False, "--json", help="One JSON object per line: per image, and per code track of a video."
    ),
    model: Optional[Path] = typer.Option(
        None, help="Deblurring model (.onnx, or a folder made by enroll); default: scan-wiener-qrunet."
    ),
    budget_ms: Optional[float] = typer.Option(
        None, help="Time budget per image for the deblurring cascade (ms); default: the effort's (800 / 6000); "
        "per frame of a video: 150 (live: 60)."
    ),
    effort: str = typer.Option(
        "normal", help="normal | high: more time and a blind kernel search for hard photos (camera shake)."
    ),
    every_detection: bool = typer.Option(
        False, "--every-detection", help="Videos: also a record per code per frame (kind 'detection')."
    ),
    sequence: bool = typer.Option(
        False, "--sequence", help="Read each folder as one video: its images, by name, are the frames."
    ),
    fps: Optional[float] = typer.Option(None, help="Videos: frame rate for timestamps of image sequences."),
    max_gap: int = typer.Option(
        5, min=0, help="Videos: frames scanned in which a code may go unread and stay one track."
    ),
    full_every: int = typer.Option(
        8, min=1, help="Videos: scan whole frames this often while codes are followed in crops."
    ),
    fuse: bool = typer.Option(
        True, "--fuse/--no-fuse",
        help="Videos: read moving codes no single frame reads by registering and averaging the frames "
        "(method 'fused').",
    ),
    live: Optional[bool] = typer.Option(
        None, "--live/--no-live",
        help="Videos: read frames on a capture thread and scan the newest one each time, dropping the frames "
        "a slow scan has no time for (counted; a file is played at its frame rate). Default: on for stream "
        "URLs, off for files and image sequences.",
    ),
    known: Optional[Path] = typer.Option(
        None, help="Images: a file of known payloads, one per line; a code too blurred to decode is identified "
        "among them (method 'match', with its score and margin) or left unread."
    ),
    known_ecc: str = typer.Option("M", help="ECC level(s) the known codes were printed with, e.g. M or LM."),
    known_ms: Optional[float] = typer.Option(
        None, help="Time per image for identifying among known payloads, after the cascade (ms); default 800."
    ),
    workers: int = typer.Option(
        1,
        help="Images: processes to scan in, each loading the model once; records keep the input order. "
        "Videos are scanned in one process.",
    ),
):
    """Find and decode every QR code in photos, deblurring the ones plain decoding misses; in videos,
    report each code once per pass through the view."""
    from qrdeblur.scan.frames import is_video_source

    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")

    video_options = dict(every_detection=every_detection, sequence=sequence, fps=fps, max_gap=max_gap,
                         full_every=full_every, live=live, fuse=fuse)
    known_list = None
    if known is not None:
        from qrdeblur.identify import KnownCodes

        known_list = KnownCodes.from_file(known, known_ecc)
    any_read = False
    images: list[Path] = []
    for item in [*inputs, None]:
        is_video = item is not None and (is_video_source(item) or (sequence and Path(item).is_dir()))
        if (item is None or is_video) and images:
            any_read = (
                _scan_images(images, json_out, model, budget_ms, effort, known_list, known_ms, workers) or any_read
            )
            images = []
        if is_video:
            any_read = _scan_video(item, json_out, model, budget_ms, effort, **video_options) or any_read
        elif item is not None:
            images.append(Path(item))
    if not any_read:
        raise typer.Exit(1)


def _scan_images(
    inputs: list[Path], json_out: bool, model, budget_ms, effort, known=None, known_ms=None, workers: int = 1
) -> bool:
    """Scan images and folders (in ``workers`` processes); True when at least one image was read without error."""
    from qrdeblur.scan.batch import scan_paths

    any_read = False
    for record in scan_paths(
        inputs, model=model, budget_ms=budget_ms, effort=effort, known=known, known_ms=known_ms, workers=workers
    ):
        any_read = any_read or record["error"] is None
        if json_out:
            typer.echo(json.dumps(record, ensure_ascii=False))
            continue
        if record["error"]:
            typer.echo(f"qrdeblur: error: {record['path']}: {record['error']}", err=True)
            continue
        if not record["codes"]:
            typer.echo(f"{record['path']}: no QR code found ({record['ms']:.0f} ms)")
        for code in record["codes"]:
            shown = code.get("hri") or code["text"]  # a GS1 code in its human-readable form; --json has the data
            how = code["method"]
            if "score" in code:  # identified among known payloads, not decoded
                how += f" score {code['score']:.2f}, margin {code['margin']:.2f}"
            typer.echo(f"{record['path']}: {shown!r} [{how}] ({record['ms']:.0f} ms)")
    return any_read


def _scan_video(
    source: str, json_out: bool, model, budget_ms, effort, every_detection: bool, live: bool | None = None,
    **options,
) -> bool:
    """Scan one video and print its tracks; a source that cannot be read is one line on stderr.

    The progress bar (frames, fps, codes; in live mode the frames dropped) goes to stderr, and only
    when stderr is a terminal; stdout stays the records alone. In live mode a summary (frames,
    scanned, dropped, seconds) follows the tracks: with ``--json`` the record of kind ``summary``.
    Returns True when the video was read to its end.
    """
    from qrdeblur.scan.frames import default_live
    from qrdeblur.scan.video import scan_video

    live = default_live(source) if live is None else live

    def show_detection(det) -> None:
        if json_out:
            typer.echo(json.dumps({"path": source, **det.to_dict()}, ensure_ascii=False))
        else:
            shown = det.code.hri or det.code.text
            typer.echo(f"{source}: frame {det.frame}: {shown!r} [{det.code.method}] (track {det.track})")

    def show_track(track) -> None:
        record = {"path": source, **track.to_dict()}
        if json_out:
            typer.echo(json.dumps(record, ensure_ascii=False))
            return
        span = ""
        if record["first_t"] is not None:
            span = f"{record['first_t']:.2f}-{record['last_t']:.2f} s, "
        shown = record.get("hri") or record["text"]
        typer.echo(
            f"{source}: {shown!r} [{record['method']}] frames {record['first_frame']}-{record['last_frame']} "
            f"({span}read in {record['frames_seen']})"
        )

    bar = _VideoProgress(source, live) if _stderr_is_terminal() else None
    last: list = []  # the VideoStats (one object, updated after every frame scanned)

    def progress(stats) -> None:
        if not last:
            last.append(stats)
        if bar is not None:
            bar.update(stats)

    found = 0
    tracks = scan_video(source, model=model, budget_ms=budget_ms, effort=effort,
                        on_detection=show_detection if every_detection else None, on_progress=progress,
                        live=live, **options)
    try:
        for track in tracks:
            show_track(track)
            found += 1
    except UsageError as exc:
        typer.echo(f"qrdeblur: error: {exc}", err=True)
        return False
    finally:
        tracks.close()  # stops a live capture at once, also on Ctrl-C
        if bar is not None:
            bar.close()
    if not json_out and found == 0:
        typer.echo(f"{source}: no QR code found")
    if live and last:
        summary = last[0].summary()
        if json_out:
            typer.echo(json.dumps({"path": source, **summary}))
        else:
            typer.echo(f"{source}: {summary['frames']} frames, {summary['scanned']} scanned, "
                       f"{summary['dropped']} dropped ({summary['seconds']:.1f} s)")
    return True


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class _VideoProgress:
    """A rich progress bar on stderr for one video: frames (of the total when known), fps, codes; in
    live mode the bar and count are the source's frames (scanned and dropped), and the dropped ones."""

    def __init__(self, source: str, live: bool = False):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        dropped = [TextColumn("{task.fields[dropped]} dropped")] if live else []
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed} frames"), *dropped,
            TextColumn("{task.fields[fps]:.1f} fps"), TextColumn("{task.fields[codes]} codes"),
            TimeElapsedColumn(), console=Console(stderr=True), redirect_stdout=False, redirect_stderr=False,
        )
        name = source if len(source) <= 40 else "..." + source[-37:]
        self.task = self.progress.add_task(name, total=None, fps=0.0, codes=0, dropped=0)
        self.progress.start()

    def update(self, stats) -> None:
        self.progress.update(self.task, completed=stats.source_frames, total=stats.frame_count, fps=stats.fps,
                             codes=stats.tracks, dropped=stats.dropped)

    def close(self) -> None:
        self.progress.stop()


def _suite_help() -> str:
    from qrdeblur.bench.suites import SUITES

    return "Suite: " + "; ".join(f"{s.name} ({s.summary})" for s in SUITES.values()) + "."


def _methods_help() -> str:
    from qrdeblur.bench.methods import method_choices
    from qrdeblur.bench.suites import SUITES

    by_kind: dict[str, list[str]] = {}
    for s in SUITES.values():
        by_kind.setdefault(s.kind, []).append(s.name)
    choices = "; ".join(f"{', '.join(names)}: {method_choices(kind)}" for kind, names in by_kind.items())
    return f"Comma-separated methods of the suite's kind ({choices})."


def _decoders_help() -> str:
    from qrdeblur.bench.suites import SUITES
    from qrdeblur.decode import DECODERS

    own = ", ".join(s.name for s in SUITES.values() if not s.uses_decoders)
    return f"Comma-separated decoders that read the restored images: {','.join(DECODERS)} (not for {own})."


@app.command(cls=_help_from_registries(suite=_suite_help, methods=_methods_help, decoders=_decoders_help))
@user_errors
def bench(
    suite: str = typer.Option("paper80", help="Suite (the suites' registry)."),
    methods: str = typer.Option("raw,wiener-oracle", help="Comma-separated methods (the methods' registry)."),
    decoders: str = typer.Option("zxing-cpp", help="Comma-separated decoders."),
    out: Optional[Path] = typer.Option(None, help="Write results.csv, summary.json and the heatmap here."),
    force: bool = typer.Option(False, help="Overwrite existing results in OUT."),
):
    """Benchmark methods on a suite: every method on the very same images."""
    from qrdeblur.bench.report import format_table
    from qrdeblur.bench.runner import run_bench

    result = run_bench(
        suite, _split(methods), _split(decoders), out, progress=sys.stderr.isatty(), overwrite=force
    )
    for line in result.notes:
        typer.echo(line, err=True)
    typer.echo(format_table(result))
    if out is not None:
        typer.echo(f"wrote {out}/results.csv, summary.json and the heatmap")


@app.command()
@user_errors
def export(
    model: Path = typer.Option(..., help="Training checkpoint (.pt), or a float .onnx to quantise with --int8."),
    onnx: Path = typer.Option(..., help="Output .onnx file."),
    int8: bool = typer.Option(
        False, help="Quantise the restoring network to int8 (calibrated on synthetic crops, checked by decoding)."
    ),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
):
    """Export a generator to ONNX (dynamic size) with a parity check against torch; --int8 also quantises it."""
    if onnx.exists() and not force:
        raise UsageError(f"{onnx}: exists (use --force to overwrite)")
    if model.suffix == ".onnx":
        if not int8:
            raise UsageError(f"{model}: already ONNX (add --int8 to quantise it, or give a .pt checkpoint)")
        from qrdeblur.export.quantize import quantize_onnx

        typer.echo(json.dumps(quantize_onnx(model, onnx)))
        return
    from qrdeblur.export.onnx import export_onnx

    if not int8:
        typer.echo(json.dumps(export_onnx(model, onnx)))
        return
    from qrdeblur.export.quantize import quantize_onnx

    with tempfile.TemporaryDirectory() as tmp:
        float_path = Path(tmp) / "float.onnx"
        report = export_onnx(model, float_path)
        report.update(quantize_onnx(float_path, onnx))
    report["onnx"] = str(onnx)
    typer.echo(json.dumps(report))


#: Modules the ``serve`` extra installs, by import name (``python-multipart`` installs ``python_multipart``).
_SERVE_MODULES = ("fastapi", "uvicorn", "python_multipart")


@app.command()
@user_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes; each loads the models once."),
    max_body_mb: float = typer.Option(20.0, min=0.001, help="Largest request body (MB); larger: 413."),
    queue: int = typer.Option(8, min=0, help="Requests that may wait per worker; more: 503 with Retry-After."),
    max_budget_ms: float = typer.Option(6000.0, min=1, help="Cap on a scan's time budget (ms)."),
    threads: Optional[int] = typer.Option(
        None, min=1, help="onnxruntime/OpenCV threads per worker (default: the cores / workers)."
    ),
):
    """Serve scan and deblur over HTTP (FastAPI on uvicorn) with a web page at / and the API at /docs."""
    import importlib.util

    missing = [name for name in _SERVE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"serve needs {', '.join(missing)}: pip install 'qrdeblur[serve]'")
    from qrdeblur.serve import ServeConfig
    from qrdeblur.serve.server import run

    config = ServeConfig(host=host, port=port, workers=workers, max_body_bytes=int(max_body_mb * 1e6),
                         max_queue=queue, max_budget_ms=max_budget_ms, threads=threads)
    run(config)


@app.command()
@user_errors
def loadtest(
    url: str = typer.Option("http://127.0.0.1:8000", help="The running server (qrdeblur serve)."),
    clients: int = typer.Option(16, min=1, help="Concurrent client threads."),
    requests: int = typer.Option(500, min=1, help="Requests in all: good, bad, decompression-bomb, oversized."),
    seed: int = typer.Option(0, help="Seed of the mix's order and the generated photos."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
):
    """Load a running server with a mix of inputs; report latency percentiles, statuses and its memory."""
    from qrdeblur.serve.loadtest import format_report, run_loadtest

    report = run_loadtest(url, clients=clients, requests=requests, seed=seed)
    typer.echo(json.dumps(report) if json_out else format_report(report))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
