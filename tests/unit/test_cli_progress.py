"""The CLI's progress bar: a label while loading, then the count once, with an ETA."""

import io

from rich.console import Console

from entrypoints.cli import progress as module
from entrypoints.cli.progress import LOADING, TRACING, RichProgress


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120), out


def _frame(bar: RichProgress, out: io.StringIO) -> str:
    assert bar._bar is not None
    bar._bar.refresh()
    return out.getvalue().rsplit("\r", 1)[-1]


def test_loading_shows_a_label_and_no_count() -> None:
    console, out = _terminal()
    with RichProgress(console) as bar:
        frame = _frame(bar, out)
    assert LOADING in frame
    assert "?" not in frame and "ETA" not in frame


def test_tracing_shows_the_count_once_and_an_eta() -> None:
    console, out = _terminal()
    with RichProgress(console) as bar:
        bar.report(3, 25, "Calculating portfolio 3/25")
        frame = _frame(bar, out)
    assert TRACING in frame
    assert frame.count("3/25") == 1
    assert "ETA" in frame


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    out = io.StringIO()
    with RichProgress(Console(file=out, force_terminal=False)) as bar:
        bar.report(1, 2, "x")
    assert out.getvalue() == ""


def test_an_early_bar_is_taken_over_once() -> None:
    module.start_early()
    early = module._early
    assert early is not None
    assert RichProgress.take() is early
    assert RichProgress.take() is not early  # taken: the next command gets its own
    module.stop_early()
    early.stop()
