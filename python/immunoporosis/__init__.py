"""immunoporosis: bone remodeling under immune control, from Python.

The simulator of the ``immunoporosis`` command line, in-process: the same scenario files (or
dicts with the same keys, validated the same way), the same engine and analyses, with results
as pandas DataFrames. Nothing is written to disk.

    >>> import immunoporosis as ip
    >>> r = ip.run("params/scenarios/menopause_natural.toml")
    >>> r.timeseries[["t_day", "bmd_lumbar_spine_change_pct"]].tail(1)
    >>> r = ip.run("params/scenarios/placebo_pmo.toml", parameters={"osteoclast.A_OCa": 0.6})

Errors: :class:`ScenarioError` (bad input: file, key, line, or the dict path) and
:class:`SimulationError` (a run that failed: the simulated time reached). Long work
(``run_many``, the analyses) runs with the GIL released and stops on Ctrl-C.
See docs/python.md in the repository.
"""

from __future__ import annotations

import json
import os
import warnings as _warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _native
from ._errors import ImmunoporosisError, ImmunoporosisWarning, ScenarioError, SimulationError

__version__ = _native.__version__

__all__ = [
    "ImmunoporosisError",
    "ImmunoporosisWarning",
    "ScenarioError",
    "SimulationError",
    "Scenario",
    "Result",
    "PopulationResult",
    "CalibrationResult",
    "load",
    "run",
    "run_many",
    "compare",
    "sweep",
    "sensitivity",
    "population",
    "calibrate",
    "validate",
    "steady",
    "list_parameters",
]

PathLike = Union[str, "os.PathLike[str]"]
ScenarioLike = Union[PathLike, Dict[str, Any], "_native.Scenario"]

Scenario = _native.Scenario


def _frame(columns: Dict[str, Sequence[Any]]):
    import pandas as pd

    return pd.DataFrame(columns)


def _rows(rows: List[Dict[str, Any]], columns: Optional[List[str]] = None):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


class Result:
    """One simulated scenario, as ``immunoporosis run`` computes it (nothing written).

    Attributes:
        name: the scenario's name.
        timeseries: the output table (pandas DataFrame), one row per output time; the columns
            are those of ``timeseries.csv`` (each name ends in its unit).
        summary: ``summary.json`` (BMD and markers at 1, 2, 3, 5 and 10 years), or None for
            models without clinical read-outs.
        manifest: ``manifest.json``: the resolved scenario, every parameter with its source,
            solver settings and statistics, the version.
        steady_state: the model's steady state the run started from (states, method,
            residuals, Jacobian eigenvalues, stability).
        warnings: inputs and doses far outside their plausible ranges (not errors).
    """

    def __init__(self, data: "_native.RunData"):
        self._data = data
        self._array = None
        self._frame = None
        self.name: str = data.name

    def __repr__(self) -> str:
        return f"<immunoporosis.Result {self.name!r}: {self._data.nrows} rows x {len(self._data.columns)} columns>"

    @property
    def columns(self) -> List[str]:
        """Column names of the time series."""
        return self._data.columns

    def to_numpy(self):
        """The time series as one float64 array, rows x columns (no copy after the first call)."""
        if self._array is None:
            import numpy as np

            n, k = self._data.nrows, len(self._data.columns)
            flat = np.frombuffer(self._data.column_bytes(), dtype=np.float64)
            # Column after column in memory: the transpose of (k, n) is (n, k) in Fortran order,
            # so every column is contiguous and pandas/Arrow take it without copying.
            self._array = flat.reshape(k, n).T
        return self._array

    @property
    def timeseries(self):
        """The output table as a pandas DataFrame (built once, then cached)."""
        if self._frame is None:
            import pandas as pd

            arr = self.to_numpy()
            self._frame = pd.DataFrame(
                {c: arr[:, j] for j, c in enumerate(self._data.columns)}, copy=False
            )
        return self._frame

    def to_arrow(self):
        """The time series as a pyarrow Table (zero-copy from the float64 columns)."""
        import pyarrow as pa

        arr = self.to_numpy()
        return pa.Table.from_arrays(
            [pa.array(arr[:, j]) for j in range(arr.shape[1])], names=self._data.columns
        )

    def to_polars(self):
        """The time series as a polars DataFrame, through Arrow (needs polars and pyarrow)."""
        try:
            import polars as pl
        except ImportError as e:
            raise ImportError("to_polars() needs polars: pip install polars pyarrow") from e
        return pl.from_arrow(self.to_arrow())

    def column(self, name: str):
        """One column as a numpy array (a view of the table once it is built; otherwise only
        that column is copied out)."""
        if self._array is not None:
            try:
                return self._array[:, self._data.columns.index(name)]
            except ValueError:
                pass
        else:
            raw = self._data.column_bytes_of(name)
            if raw is not None:
                import numpy as np

                return np.frombuffer(raw, dtype=np.float64)
        raise KeyError(f"no column {name!r}; columns: {', '.join(self._data.columns)}")

    @property
    def summary(self) -> Optional[Dict[str, Any]]:
        s = self._data.summary_json
        return None if s is None else json.loads(s)

    @property
    def manifest(self) -> Dict[str, Any]:
        return json.loads(self._data.manifest_json)

    @property
    def steady_state(self) -> Dict[str, Any]:
        return self._data.steady_state

    @property
    def warnings(self) -> List[str]:
        return self._data.warnings

    @property
    def plots(self) -> List[str]:
        """Names of the model's figures, for :meth:`plot`."""
        return [p[0] for p in self._data.plots]

    def plot(self, kind: str = "bone", ax=None):
        """Draws one of the model's figures (``"bone"``, ``"cells"``, ``"markers"``, ...) with
        matplotlib, the same series as the command line's figure of that name; returns the Axes.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ImportError("plot() needs matplotlib: pip install matplotlib") from e
        specs = {p[0]: p for p in self._data.plots}
        if kind not in specs:
            raise ValueError(f"no figure {kind!r} for this model; figures: {', '.join(specs)}")
        _, title, y_label, series = specs[kind]
        if ax is None:
            _, ax = plt.subplots()
        t = self.column("t_day")
        for column, label, offset in series:
            if column in self._data.columns:
                ax.plot(t, self.column(column) - offset, label=label)
        ax.set_title(f"{title}: {self.name}")
        ax.set_xlabel("time (day)")
        ax.set_ylabel(y_label)
        ax.legend(loc="best", fontsize="small")
        return ax


def load(
    scenario: ScenarioLike,
    parameters: Optional[Dict[str, float]] = None,
    treatments: Optional[List[Dict[str, Any]]] = None,
) -> "_native.Scenario":
    """Validates a scenario without running it (``immunoporosis check``).

    Args:
        scenario: a path to a scenario TOML file, or a dict with the same keys
            (``{"name": ..., "model": ..., "duration_days": ..., "input": [{...}], ...}``).
            Relative paths in a dict (``parameter_set``) are relative to the working folder.
        parameters: parameter values by dotted name, merged into the scenario's
            ``[parameters]`` (a name given here replaces the file's value).
        treatments: a list of ``[[treatment]]`` tables (dicts) that replaces the scenario's
            treatments (``[]`` removes them).

    Raises:
        ScenarioError: with ``file``, ``key`` and ``line`` (a file), or ``path`` (a dict, or
            an override) of what is wrong.

    Warns:
        ImmunoporosisWarning: inputs or doses far outside their plausible ranges, an output
            grid too coarse for the dosed drugs (as the command line's warnings).
    """
    if isinstance(scenario, _native.Scenario):
        if parameters is not None or treatments is not None:
            raise TypeError("overrides apply to a path or a dict, not to a loaded Scenario")
        return scenario
    loaded = _native.load_scenario(scenario, parameters, treatments)
    for w in loaded.warnings:
        _warnings.warn(f"{loaded.name}: {w}", ImmunoporosisWarning, stacklevel=3)
    return loaded


def run(
    scenario: ScenarioLike,
    parameters: Optional[Dict[str, float]] = None,
    treatments: Optional[List[Dict[str, Any]]] = None,
) -> Result:
    """Simulates a scenario (``immunoporosis run``, without writing files).

    Takes the arguments of :func:`load`. The simulation runs with the GIL released.

    Raises:
        ScenarioError: bad input (file, key, line or dict path).
        SimulationError: the run failed (``time_reached``: the simulated time reached).
    """
    return Result(_native.run(load(scenario, parameters, treatments)))


def run_many(
    scenarios: Iterable[ScenarioLike],
    threads: Optional[int] = None,
    errors: str = "raise",
) -> List[Result]:
    """Simulates many scenarios in parallel, results in the order given.

    Args:
        scenarios: paths, dicts or loaded scenarios (:func:`load`, which applies overrides).
        threads: worker threads (default: one per core).
        errors: ``"raise"`` raises the first failed run's SimulationError (``index``: its
            position); ``"return"`` puts the exception in its place in the list.

    Every scenario is validated first (a ScenarioError names the bad one); the simulations run
    with the GIL released. Ctrl-C stops it between runs (KeyboardInterrupt).
    """
    loaded = []
    for i, s in enumerate(scenarios):
        try:
            loaded.append(load(s))
        except ScenarioError as e:
            e.index = i
            raise
    out = _native.run_many(loaded, threads, errors)
    return [x if isinstance(x, BaseException) else Result(x) for x in out]


def compare(
    scenarios: Iterable[ScenarioLike],
    columns: Optional[List[str]] = None,
    threads: Optional[int] = None,
):
    """Runs scenarios and stacks their time series (``immunoporosis compare``): a long
    DataFrame with ``scenario``, ``t_day`` and the bone-mass columns (or ``columns``).
    """
    import pandas as pd

    results = run_many(scenarios, threads=threads)
    frames = []
    for r in results:
        cols = columns or [c for c in r.columns if c.startswith(("bone_volume", "bmd_"))]
        missing = [c for c in cols if c not in r.columns]
        if missing:
            raise KeyError(f"scenario {r.name!r} has no column(s) {', '.join(missing)}")
        f = r.timeseries[["t_day", *cols]].copy()
        f.insert(0, "scenario", r.name)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def sweep(
    spec: Union[PathLike, Dict[str, Any]],
    scenario: Optional[ScenarioLike] = None,
    parameters: Optional[Dict[str, float]] = None,
    treatments: Optional[List[Dict[str, Any]]] = None,
    threads: Optional[int] = None,
):
    """Runs a sweep (``immunoporosis sweep``): a DataFrame with one row per run (``run``, each
    variable, each endpoint, ``status``, ``reason``), in run order.

    Args:
        spec: a sweep file, or a dict with its keys. In a dict, ``scenario`` may be a path
            (relative to the working folder) or a scenario dict.
        scenario: a scenario (path or dict) replacing the one the sweep names.
        parameters, treatments: overrides of that scenario (see :func:`load`).
        threads: worker threads (default: one per core).
    """
    d = _native.sweep(spec, scenario, parameters, treatments, threads)
    f = _frame(d["table"])
    f.attrs.update(name=d["name"], scenario=d["scenario"], variables=d["variables"], endpoints=d["endpoints"])
    return f


def sensitivity(
    spec: Union[PathLike, Dict[str, Any]],
    scenario: Optional[ScenarioLike] = None,
    parameters: Optional[Dict[str, float]] = None,
    treatments: Optional[List[Dict[str, Any]]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> Dict[str, Any]:
    """Runs a sensitivity analysis (``immunoporosis sensitivity``): a dict with a DataFrame per
    method the file asks for, ``"local"`` (normalised coefficients and dy/dln p), ``"morris"``
    (mu, mu*, sigma) and ``"sobol"`` (first-order and total indices with 95 % bootstrap
    intervals), one row per variable and endpoint. Arguments as :func:`sweep`; ``seed``
    replaces the file's.
    """
    d = _native.sensitivity(spec, scenario, parameters, treatments, seed, threads)
    return {k: _rows(v) for k, v in d.items() if k != "name"}


class PopulationResult:
    """A virtual population (``immunoporosis population``).

    Attributes:
        patients: one row per accepted patient (its parameter values and endpoints).
        bands: the 5th, 50th and 95th percentiles of each band column per output time
            (columns ``column``, ``t_day``, ``p05``, ``p50``, ``p95``).
        accepted, candidates, rejected, failed: counts.
    """

    def __init__(self, d: Dict[str, Any]):
        import pandas as pd

        self.name: str = d["name"]
        self.scenario: str = d["scenario"]
        self.patients = _frame(d["patients"])
        frames = []
        for b in d["bands"]:
            f = pd.DataFrame({k: b[k] for k in ("t_day", "p05", "p50", "p95")})
            f.insert(0, "column", b["column"])
            frames.append(f)
        self.bands = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["column", "t_day", "p05", "p50", "p95"]
        )
        self.accepted: int = d["accepted"]
        self.candidates: int = d["candidates"]
        self.rejected: int = d["rejected"]
        self.failed: int = d["failed"]
        self.failures = d["failures"]

    def __repr__(self) -> str:
        return f"<immunoporosis.PopulationResult {self.name!r}: {self.accepted} patients of {self.scenario!r}>"

    def band(self, column: str):
        """The bands of one column: ``t_day``, ``p05``, ``p50``, ``p95``."""
        b = self.bands[self.bands["column"] == column]
        if b.empty:
            raise KeyError(f"no band for {column!r}; bands: {', '.join(self.bands['column'].unique())}")
        return b.drop(columns="column").reset_index(drop=True)

    def plot(self, column: str, ax=None, label: Optional[str] = None, **style):
        """Draws a column's median with the 5th-95th percentile band shaded (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        b = self.band(column)
        (line,) = ax.plot(b["t_day"], b["p50"], label=label or self.scenario, **style)
        ax.fill_between(b["t_day"], b["p05"], b["p95"], color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel("time (day)")
        ax.set_ylabel(column)
        return ax


def population(
    spec: Union[PathLike, Dict[str, Any]],
    scenario: Optional[ScenarioLike] = None,
    parameters: Optional[Dict[str, float]] = None,
    treatments: Optional[List[Dict[str, Any]]] = None,
    threads: Optional[int] = None,
) -> PopulationResult:
    """Runs a virtual population (``immunoporosis population``). Arguments as :func:`sweep`:
    ``scenario``, ``parameters`` and ``treatments`` give every patient another scenario (the
    arms of a trial from one population file). The same file and seed give the same patients
    with any number of threads. Ctrl-C stops it after the chunk of candidates under way.
    """
    return PopulationResult(_native.population(spec, scenario, parameters, treatments, threads))


class CalibrationResult:
    """A calibration (``immunoporosis calibrate``): ``parameters`` (initial, fitted value,
    bounds) and ``targets`` (wanted, got, residual, band, met) as DataFrames, with ``cost``,
    ``iterations``, ``evaluations`` and ``termination``."""

    def __init__(self, d: Dict[str, Any]):
        self.name: str = d["name"]
        self.cost: float = d["cost"]
        self.iterations: int = d["iterations"]
        self.evaluations: int = d["evaluations"]
        self.termination: str = d["termination"]
        self.parameters = _rows(d["parameters"], ["name", "unit", "initial", "value", "lower", "upper"])
        self.targets = _rows(
            d["targets"],
            ["name", "scenario", "column", "time_days", "wanted", "got", "residual", "band_low", "band_high", "met", "source"],
        )

    def __repr__(self) -> str:
        return f"<immunoporosis.CalibrationResult {self.name!r}: cost {self.cost:.4g}, {int(self.targets['met'].sum())}/{len(self.targets)} targets met>"


def calibrate(
    spec: Union[PathLike, Dict[str, Any]],
    no_fit: bool = False,
    threads: Optional[int] = None,
) -> CalibrationResult:
    """Fits a calibration file or dict (``immunoporosis calibrate``); with ``no_fit`` evaluates
    the targets at the parameter file's values instead. Nothing is written (the command line's
    ``--write-params`` stays a command-line option)."""
    return CalibrationResult(_native.calibrate(spec, no_fit, threads))


def validate(
    files: Optional[Union[PathLike, List[PathLike]]] = None,
    calibrations: Optional[List[PathLike]] = None,
    threads: Optional[int] = None,
):
    """Judges the model against published outcomes (``immunoporosis validate``): one row per
    outcome (study, outcome, scenario, column, time, published value and SE, model value,
    band, verdict). Default files: ``params/validation/*.toml`` under the working folder."""
    if files is None:
        folder = os.path.join("params", "validation")
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".toml"))
    elif isinstance(files, (str, os.PathLike)):
        files = [files]
    rows = _native.validate([os.fspath(f) for f in files], [os.fspath(c) for c in calibrations or []], threads)
    return _rows(rows)


def steady(model: str, parameter_set: Optional[PathLike] = None):
    """A model's steady state (``immunoporosis steady``): a DataFrame of states (``state``,
    ``value``, ``unit``); ``attrs`` holds the method, residuals, eigenvalues (1/day) and
    stability."""
    d = _native.steady(model, None if parameter_set is None else os.fspath(parameter_set))
    f = _frame({"state": list(d["states"]), "value": list(d["states"].values()), "unit": d["units"]})
    for k in ("model", "parameters", "method", "iterations", "residual", "relative_residual", "jacobian_states", "eigenvalues", "stable"):
        f.attrs[k] = d[k]
    return f


def list_parameters(model: Optional[str] = None):
    """Every parameter of the bundled models (or of ``model``) with value, unit, symbol,
    description and source (``immunoporosis list``)."""
    return _rows(_native.list_parameters(model), ["model", "name", "value", "unit", "symbol", "description", "source"])
