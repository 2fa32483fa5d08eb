"""The bench's progress bar: rich on stderr, or nothing."""

from __future__ import annotations


class Progress:
    """A bar over ``total`` steps, shown on stderr while the run lasts (transient); inert when not ``shown``.

    Use as a context manager; scoring code calls :meth:`start` once with the number of steps, then
    :meth:`advance` after each.
    """

    def __init__(self, shown: bool = True):
        self.shown = shown
        self._bar = None
        self._task = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def start(self, total: int, description: str = "bench") -> None:
        """Show the bar (when ``shown``) over ``total`` steps."""
        if not self.shown:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(description, total=total)
        self._bar.start()

    def describe(self, description: str) -> None:
        """Say what runs now."""
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self) -> None:
        """One step done."""
        if self._bar is not None:
            self._bar.advance(self._task)
