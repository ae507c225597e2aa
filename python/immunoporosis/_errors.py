"""Exceptions of the immunoporosis package (raised by the Rust extension too)."""

from typing import Optional


class ImmunoporosisError(Exception):
    """Base class of the package's errors."""


class ScenarioError(ImmunoporosisError, ValueError):
    """Bad input: a scenario, analysis or parameter file (or dict) that fails validation.

    Attributes:
        file: the file the error is in (``"<dict>"`` for a dict).
        key: the dotted key it is about, where known.
        line: the 1-based line in ``file``, where known (None for a dict or overrides).
        path: for a dict or a file with overrides, where in it: ``["input"][0]["value"]``.
        help: how to fix it, where the program can tell.
    """

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        key: Optional[str] = None,
        line: Optional[int] = None,
        path: Optional[str] = None,
        help: Optional[str] = None,
    ):
        super().__init__(message)
        self.file = file
        self.key = key
        self.line = line
        self.path = path
        self.help = help


class SimulationError(ImmunoporosisError, RuntimeError):
    """A simulation or analysis that could not be completed.

    Attributes:
        time_reached: the simulated time (days) reached when it failed, where there is one.
        index: the run's position in ``run_many``'s list, where it came from there.
    """

    def __init__(
        self,
        message: str,
        time_reached: Optional[float] = None,
        index: Optional[int] = None,
    ):
        super().__init__(message)
        self.time_reached = time_reached
        self.index = index


class ImmunoporosisWarning(UserWarning):
    """An input or dose far outside its plausible range, or an output grid too coarse for the
    dosed drugs (the command line prints these on standard error; they are not errors)."""
