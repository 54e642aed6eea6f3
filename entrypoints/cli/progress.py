"""A ``ProgressReporter`` that draws a rich progress bar on stderr."""

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class RichProgress:
    """Progress bar on stderr while a frontier runs; silent when stderr is not a terminal, so
    pipes, logs and the one-line error contract stay clean."""

    def __init__(self) -> None:
        console = Console(stderr=True)
        self._bar: Progress | None = None
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task("Frontier", total=None)

    def __enter__(self) -> "RichProgress":
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def report(self, current: int, total: int, message: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=current, total=total, description=message)
