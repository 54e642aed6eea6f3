"""How a decimal that means a share (a weight, an annual return or rate) is written in an
error: the decimal the API and CLI take, and the percent a person reads, ``0.6 (60 %)``. The
page, whose fields are percents, shows only the percent (it drops the decimal before the
parenthesis), so one message speaks both units."""


def share(x: float, digits: int = 6) -> str:
    """``x`` as ``"0.6 (60 %)"``; ``digits`` significant digits of the decimal."""
    return f"{x:.{digits}g} ({x * 100:.{digits}g} %)"
