"""A ``ProgressReporter`` that draws a rich progress bar on stderr.

The bar can start before the command's modules are imported (``start_early``, called by the
root group for ``pfopt frontier``), so the user sees it from the first moment; the command then
takes that bar over (``RichProgress.take``)."""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

LOADING = "Loading prices, estimating risk"
TRACING = "Tracing the frontier"


class _Count(MofNCompleteColumn):
    """ "3/25" once the number of points is known, nothing while loading."""

    def render(self, task: Task) -> Text:
        return Text("") if task.total is None else super().render(task)


class _Eta(TimeRemainingColumn):
    """ "ETA 0:00:02" once points arrive, nothing before."""

    def render(self, task: Task) -> Text:
        if task.total is None or not task.completed:
            return Text("")
        return Text.assemble("ETA ", super().render(task))


class RichProgress:
    """Progress bar on stderr while a frontier runs; silent when stderr is not a terminal, so
    pipes, logs and the one-line error contract stay clean. The count is shown once (the
    M/N column), with the elapsed time and, once points arrive, the time remaining."""

    def __init__(self, console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        self._bar: Progress | None = None
        self._started = False
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                _Count(),
                TimeElapsedColumn(),
                _Eta(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task(LOADING, total=None)

    @classmethod
    def take(cls) -> "RichProgress":
        """The bar started early, if any (it is no longer early: the caller stops it), else a
        new one."""
        global _early
        bar, _early = _early, None
        return bar or cls()

    def start(self) -> None:
        if self._bar is not None and not self._started:
            self._bar.start()
            self._started = True

    def stop(self) -> None:
        if self._bar is not None and self._started:
            self._bar.stop()
            self._started = False

    def __enter__(self) -> "RichProgress":
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def report(self, current: int, total: int, message: str) -> None:
        """``message`` repeats the count ("portfolio 3/25"), so the bar shows its own label."""
        if self._bar is not None:
            self._bar.update(self._task, completed=current, total=total, description=TRACING)


_early: RichProgress | None = None


def start_early() -> None:
    """Show the bar now, before the command's imports and data loading."""
    global _early
    if _early is None:
        _early = RichProgress()
        _early.start()


def stop_early() -> None:
    """Stop a bar no command took over (the command failed before its run started)."""
    global _early
    if _early is not None:
        _early.stop()
        _early = None
