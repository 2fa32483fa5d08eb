"""Scan a folder of images on a Dask cluster: the records of ``qrdeblur scan --json``, in the same order.

Needs the ``dask`` extra (``pip install 'qrdeblur[dask]'``). Run::

    python docs/examples/dask_scan.py FOLDER [N_WORKERS]

One task per image runs :func:`qrdeblur.scan.batch.scan_file` on a worker; that function loads the
model once per worker process and keeps it, so only the first image a worker gets pays for it. A
file that cannot be read gives a record with ``error`` set, as with ``scan_paths``; an image whose
worker keeps dying (Dask retries it on other workers first) gets one too. At most
``in_flight`` tasks (4 per worker thread by default) are on the cluster at once, so the scheduler
never holds the whole list.

Millions of images on many machines: start a scheduler and workers on the machines, one worker
process per core with one thread each (the model's onnxruntime then uses one thread too)::

    dask scheduler                                   # on one machine: tcp://scheduler:8786
    dask worker tcp://scheduler:8786 --nworkers auto --nthreads 1    # on every machine

and pass a client for it instead of the local cluster::

    from distributed import Client
    client = Client("tcp://scheduler:8786")
    for i, record in scan_records_dask(paths, client):   # as they finish, not in order
        out.write(json.dumps(record) + "\\n")

Every worker must be able to read the image paths (a shared file system, or the same mount of an
object store on every machine) and have ``qrdeblur`` installed; a ``model`` path, when given, must
exist on every worker too. For known payloads, make the :class:`~qrdeblur.identify.KnownCodes` once
and send it to every worker with ``client.scatter(known, broadcast=True)``, then pass that future as
``scan_file``'s ``known`` (a plain list would be rendered again for every image). Write the records
as they come (``scan_records_dask``) rather than keeping millions of them in a list, and keep the
list of paths itself in chunks if it does not fit in memory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path


def scan_records_dask(
    paths: Iterable[str | Path],
    client,
    model: str | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
    threads: int = 1,
    in_flight: int | None = None,
) -> Iterator[tuple[int, dict]]:
    """``(index, record)`` for each image file in ``paths``, as the cluster finishes them (not in order).

    ``threads``: onnxruntime's threads per model on a worker (1 for one single-threaded worker per
    core); ``in_flight``: tasks on the cluster at once (None: 4 per worker thread).
    """
    from distributed import KilledWorker, as_completed

    from qrdeblur.scan.batch import scan_file

    if in_flight is None:
        in_flight = 4 * max(1, sum(client.nthreads().values()))
    todo = enumerate(paths)
    running = as_completed()
    submitted: dict = {}  # task key -> (index, path)

    def submit_one() -> bool:
        for i, path in todo:
            future = client.submit(scan_file, str(path), model, budget_ms, effort, None, None, threads, pure=False)
            submitted[future.key] = (i, str(path))
            running.add(future)
            return True
        return False

    for _ in range(in_flight):
        if not submit_one():
            break
    for future in running:
        i, path = submitted.pop(future.key)
        try:
            record = future.result()
        except KilledWorker:  # the image took down every worker Dask tried it on
            record = {"path": path, "codes": [], "ms": 0.0, "error": "worker process crashed while scanning this image"}
        finally:
            future.release()
        submit_one()
        yield i, record


def scan_folder_dask(
    folder: str | Path,
    n_workers: int = 2,
    *,
    processes: bool = True,
    model: str | None = None,
    budget_ms: float | None = None,
    effort: str = "normal",
) -> list[dict]:
    """The records of every image in ``folder`` (walked as ``scan_paths`` walks it), in that order,
    scanned on a local Dask cluster of ``n_workers`` single-threaded workers (``processes=False``:
    threads of this process instead of worker processes)."""
    from distributed import Client, LocalCluster

    from qrdeblur.imageio import iter_image_paths

    items = list(iter_image_paths([folder]))
    records: list[dict | None] = [None] * len(items)
    images = []  # (position in items, path) of the files to scan; the others already have their record
    for k, (path, error) in enumerate(items):
        if error is None:
            images.append((k, path))
        else:
            records[k] = {"path": str(path), "codes": [], "ms": 0.0, "error": error}
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        for i, record in scan_records_dask(
            [p for _, p in images], client, model=model, budget_ms=budget_ms, effort=effort
        ):
            records[images[i][0]] = record
    return records


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ("-h", "--help"):
        print("usage: python docs/examples/dask_scan.py FOLDER [N_WORKERS]", file=sys.stderr)
        sys.exit(0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2)
    for rec in scan_folder_dask(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 2):
        print(json.dumps(rec, ensure_ascii=False))
