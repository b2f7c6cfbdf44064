"""The machinery every application shares: run directories, progress, figures, tables, errors, the tour.

An application is a module in ``scratchdl/apps/`` listed in ``scratchdl.apps.APP_MODULES``. It
exposes five names and uses only scratchdl's public API::

    NAME = "planar"                                   # the sub-command
    HELP = "one tanh hidden layer against logistic regression on 2-D data"   # one line for --help
    QUICK = {"epochs": 1000}                          # option values of --quick and of the tour

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--epochs", type=int, default=5000, help="full-batch gradient steps")

    def run(args: argparse.Namespace) -> Results:
        run = args.run                                # the RunContext of this run
        model = ...
        model.fit(x, y, epochs=args.epochs, verbose=0, callbacks=[run.progress("training")])
        fig, ax = run.figure()
        ax.plot(...)
        run.save_figure(fig, "cost.png", title="...")
        run.save_model(model)                         # model.keras
        return {"data": "flower (400 points)", "metric": "accuracy", "value": 0.9,
                "tables": [Table(["model", "accuracy"], rows)], "metrics": {...}}

The runner adds the options every application has (``--out``, ``--seed``, ``--quick``; shown with
their defaults by ``--help``), makes the run directory ``runs/<app>-<YYYYmmdd-HHMMSS>/``, seeds
scratchdl (``utils.set_random_seed``), puts a :class:`RunContext` on ``args.run``, calls ``run``,
prints the result tables, and writes ``metrics.json`` (options, seed, the results, the figures and
models written, the time taken). Errors a user can cause (bad options, a missing or damaged data
file) reach the command line as :class:`AppError`, ``ValueError`` or ``OSError`` and are printed as
one line on stderr with exit code 2; ``scratchdl --traceback <app> ...`` shows the full traceback.

``scratchdl tour`` runs every registered application with its ``QUICK`` options on its default
data and prints one table (application, data, metric, value, seconds).

To add an application: write ``scratchdl/apps/<name>.py`` with the five names above, append
``"<name>"`` to ``APP_MODULES`` in ``scratchdl/apps/__init__.py``, and add an end-to-end test in
``tests/apps/`` (``tests/apps/conftest.py``'s ``run_app`` fixture runs it in-process and returns
``(exit code, metrics.json, run dir)``). :func:`check_app` says what a module lacks. Shared pieces:
argument types here (:data:`positive_int`, :data:`int_list`, :data:`probability`, ...; they give
one-line errors), :mod:`scratchdl.apps._plots` (``draw_boundary`` for 2-D classifiers,
``plot_curves`` for cost/accuracy curves) and :mod:`scratchdl.apps._images` (``--dataset``/
``--classes``/``--train``/``--test`` image data). Raise :class:`AppError` for a problem the user
can fix; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict

import numpy as np

import scratchdl as sd

__all__ = [
    "AppError", "EXIT_USAGE", "OneLineErrorParser", "Results", "RunContext", "Table", "TqdmProgress",
    "USER_ERRORS", "add_app_parser", "add_common_arguments", "app_parser", "check_app", "float_list",
    "format_table", "int_list", "load_apps", "main_for_app", "make_run_dir", "non_negative_float",
    "non_negative_int", "positive_float", "positive_int", "probability", "quick_namespace", "report_error",
    "run_app", "run_tour", "to_jsonable",
]

#: Exit code of a run stopped by a user error (bad option, bad data file), as argparse uses.
EXIT_USAGE = 2


class AppError(Exception):
    """A problem the user can fix (an option that does not fit the data, a file with the wrong
    layout): the command line prints its message as one line and exits with code 2."""


#: Exceptions printed as one line with exit code 2 at the command-line boundary.
USER_ERRORS: tuple[type[BaseException], ...] = (AppError, ValueError, OSError, ImportError)


class Results(TypedDict, total=False):
    """What an application's ``run`` returns.

    ``data`` says what it trained on (one short line); ``metric`` and ``value`` are its headline
    number (shown by the tour); ``tables`` are printed at the end of the run and stored in
    ``metrics.json``; ``metrics`` holds every other number worth keeping (JSON-serializable after
    :func:`to_jsonable`: NumPy scalars and arrays are converted).
    """

    data: str
    metric: str
    value: float
    tables: list[Table]
    metrics: dict[str, Any]


# ---------------------------------------------------------------------------------------- tables
def _cell(value: Any, digits: int, spec: str | None = None) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if spec is not None and _is_number(value) and math.isfinite(float(value)):
        return format(value, spec)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0.0 and abs(value) < 10.0 ** -digits:
            return f"{value:.{max(digits - 2, 1)}e}"  # e.g. a gradient-check difference, not 0.0000
        return f"{value:.{digits}f}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def format_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None,
                 digits: int = 4, formats: dict[str, str] | None = None) -> str:
    """Plain-text table: a header, a rule, one line per row; numbers right-aligned, text left.

    Floats get ``digits`` decimals; ``formats`` maps a column name to a format spec for its numbers
    (``{"seconds": ".1f"}``).

    >>> print(format_table(["model", "accuracy"], [["logistic", 0.47], ["hidden 4", 0.905]]))
    model     accuracy
    --------  --------
    logistic    0.4700
    hidden 4    0.9050
    """
    rows = [list(row) for row in rows]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"format_table: a row has {len(row)} cells for {len(columns)} columns: {row!r}")
    specs = [(formats or {}).get(name) for name in columns]
    text = [[_cell(value, digits, spec) for value, spec in zip(row, specs)] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in text]) for i, name in enumerate(columns)]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        parts = [cell.rjust(w) if num else cell.ljust(w) for cell, w, num in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out.append(line(list(columns)))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in text)
    return "\n".join(out)


@dataclass
class Table:
    """A results table: column names, rows of cells, an optional title, per-column number formats
    (see :func:`format_table`)."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    title: str | None = None
    digits: int = 4
    formats: dict[str, str] = field(default_factory=dict)

    def add(self, *cells: Any) -> None:
        """Append one row."""
        self.rows.append(list(cells))

    def format(self) -> str:
        """The table as aligned plain text."""
        return format_table(self.columns, self.rows, title=self.title, digits=self.digits, formats=self.formats)

    def to_json(self) -> dict[str, Any]:
        """``{'title', 'columns', 'rows'}`` with JSON-ready cells."""
        return {"title": self.title, "columns": list(self.columns), "rows": to_jsonable(self.rows)}


def to_jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays, tuples, paths and tables into plain JSON values (recursively)."""
    if isinstance(value, Table):
        return value.to_json()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------- progress
class TqdmProgress(sd.callbacks.Callback):
    """A ``fit`` callback that shows one tqdm bar per training run, one step per epoch.

    The bar's postfix shows the latest epoch's loss and accuracy (when logged); ``tqdm_options`` go
    to ``tqdm`` (``disable=True``, ``file=...``). ``TQDM_DISABLE=1`` in the environment of the
    ``scratchdl`` command turns the bars off.
    """

    def __init__(self, description: str, keys: Sequence[str] = ("loss", "accuracy", "val_accuracy"),
                 **tqdm_options: Any) -> None:
        super().__init__()
        self.description = description
        self.keys = tuple(keys)
        self.tqdm_options = tqdm_options
        self._bar: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the bar with one step per epoch."""
        from tqdm.auto import tqdm

        total = (self.params or {}).get("epochs")
        options = {"unit": "epoch", "leave": False, "dynamic_ncols": True, "file": sys.stderr, **self.tqdm_options}
        self._bar = tqdm(total=total, desc=self.description, **options)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Advance the bar and show the epoch's metrics."""
        if self._bar is None:
            return
        shown = {key: f"{float(logs[key]):.4f}" for key in self.keys if logs and key in logs}
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# ---------------------------------------------------------------------------------------- run directory
def make_run_dir(app: str, out: str | os.PathLike[str] | None, root: str | os.PathLike[str] = "runs") -> Path:
    """Create and return the run directory: ``out`` when given, else ``<root>/<app>-<YYYYmmdd-HHMMSS>``
    (with ``-2``, ``-3``... appended when a run started in the same second already has it)."""
    if out is not None:
        path = Path(out).expanduser()
        if path.exists() and not path.is_dir():
            raise AppError(f"--out: '{path}' exists and is not a directory")
        path.mkdir(parents=True, exist_ok=True)
        return path
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{app}-{stamp}"
    path, n = base, 1
    while True:
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            n += 1
            path = base.with_name(f"{base.name}-{n}")


class RunContext:
    """What a running application uses to write its outputs; ``args.run`` holds one.

    ``path`` is the run directory; ``figures`` and ``models`` list the files written so far
    (relative to ``path``), in order.
    """

    def __init__(self, app: str, path: Path, seed: int) -> None:
        self.app = app
        self.path = path
        self.seed = seed
        self.figures: list[str] = []
        self.models: list[str] = []

    # -- figures
    def figure(self, nrows: int = 1, ncols: int = 1, size: tuple[float, float] | None = None,
               **subplots_kw: Any) -> tuple[Any, Any]:
        """A new matplotlib ``Figure`` (Agg canvas, no pyplot state) and its axes (as ``subplots``)."""
        from matplotlib.figure import Figure

        if size is None:
            size = (4.2 * ncols + 0.8, 3.6 * nrows + 0.6)
        fig = Figure(figsize=size)
        subplots_kw.setdefault("squeeze", True)
        axes = fig.subplots(nrows, ncols, **subplots_kw)
        return fig, axes

    def save_figure(self, fig: Any, name: str, title: str | None = None) -> Path:
        """Write ``fig`` as ``<run dir>/<name>`` (PNG, 110 dpi), with an optional overall title."""
        if not name.endswith(".png"):
            name += ".png"
        if title:
            fig.suptitle(title, fontsize=12)
        fig.tight_layout()
        path = self.path / name
        fig.savefig(path, dpi=110, format="png")
        self.figures.append(name)
        return path

    # -- models
    def save_model(self, model: Any, name: str = "model") -> Path:
        """Save ``model`` with ``model.save`` as ``<run dir>/<name>.keras`` (config, weights, optimizer)."""
        if not name.endswith(".keras"):
            name += ".keras"
        path = self.path / name
        model.save(path)
        self.models.append(name)
        return path

    # -- progress
    def progress(self, description: str) -> TqdmProgress:
        """A callback for ``fit`` showing a tqdm bar labelled ``description``."""
        return TqdmProgress(f"{self.app}: {description}")

    def bar(self, iterable: Iterable[Any], description: str, total: int | None = None) -> Iterable[Any]:
        """Wrap a loop of the application's own in a tqdm bar."""
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=f"{self.app}: {description}", total=total, leave=False, dynamic_ncols=True,
                    file=sys.stderr)

    def write_json(self, name: str, content: Any) -> Path:
        """Write ``content`` (made JSON-ready by :func:`to_jsonable`) as ``<run dir>/<name>``."""
        path = self.path / name
        path.write_text(json.dumps(to_jsonable(content), indent=2) + "\n", encoding="utf-8")
        return path


# ---------------------------------------------------------------------------------------- argument types
def _type(name: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return convert(text)
        except (ValueError, TypeError) as error:
            raise argparse.ArgumentTypeError(str(error) or f"invalid {name}: {text!r}") from None

    parse.__name__ = name
    return parse


def _int(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"expected {what}, got {value}")
    return value


def _float(text: str, check: Callable[[float], bool], what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(value) or not check(value):
        raise ValueError(f"expected {what}, got {value:g}")
    return value


#: argparse types with clear messages.
positive_int = _type("positive_int", lambda t: _int(t, 1, "an integer >= 1"))
non_negative_int = _type("non_negative_int", lambda t: _int(t, 0, "an integer >= 0"))
positive_float = _type("positive_float", lambda t: _float(t, lambda v: v > 0, "a number > 0"))
non_negative_float = _type("non_negative_float", lambda t: _float(t, lambda v: v >= 0, "a number >= 0"))
probability = _type("probability", lambda t: _float(t, lambda v: 0 < v <= 1, "a number in (0, 1]"))


def _list(text: str, item: Callable[[str], Any], what: str) -> list[Any]:
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise ValueError(f"expected a comma-separated list of {what}, got {text!r}")
    return [item(part) for part in parts]


#: ``"12288,20,7,5,1"`` -> ``[12288, 20, 7, 5, 1]`` (every item >= 1).
int_list = _type("int_list", lambda t: _list(t, lambda p: _int(p, 1, "integers >= 1"), "integers >= 1"))
#: ``"0.1,0.01"`` -> ``[0.1, 0.01]`` (every item > 0).
float_list = _type("float_list", lambda t: _list(t, lambda p: _float(p, lambda v: v > 0, "numbers > 0"),
                                                    "numbers > 0"))


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (exit code 2), with a pointer to
    ``--help`` instead of the usage block."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        """Print ``<prog>: error: <message> (see <prog> --help)`` and exit with code 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def add_common_arguments(parser: argparse.ArgumentParser, quick: dict[str, Any] | None = None) -> None:
    """The options every application has: ``--out``, ``--seed``, ``--quick``."""
    group = parser.add_argument_group("run options")
    group.add_argument("--out", metavar="DIR", default=None,
                       help="run directory for figures, metrics.json and the model; None: "
                            "runs/<app>-<YYYYmmdd-HHMMSS>")
    group.add_argument("--seed", type=non_negative_int, default=0, help="random seed (data, weights, batches)")
    shown = " ".join(f"--{k.replace('_', '-')} {_option_text(v)}" for k, v in (quick or {}).items())
    group.add_argument("--quick", action="store_true",
                       help="small sizes for a fast look (the tour's)" + (f": {shown}" if shown else ""))


def _option_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------------------------------- registry
_REQUIRED = ("NAME", "HELP", "QUICK", "add_arguments", "run")


def check_app(module: ModuleType) -> None:
    """Raise ``TypeError`` naming what an application module lacks (see the module docstring)."""
    missing = [name for name in _REQUIRED if not hasattr(module, name)]
    if missing:
        raise TypeError(f"application module '{module.__name__}' lacks {', '.join(missing)}")
    if not isinstance(module.NAME, str) or not module.NAME.isidentifier():
        raise TypeError(f"application module '{module.__name__}': NAME must be an identifier, got {module.NAME!r}")
    if not isinstance(module.HELP, str) or "\n" in module.HELP:
        raise TypeError(f"application module '{module.__name__}': HELP must be one line of text")
    if not isinstance(module.QUICK, dict):
        raise TypeError(f"application module '{module.__name__}': QUICK must be a dict of option values")
    if not callable(module.add_arguments) or not callable(module.run):
        raise TypeError(f"application module '{module.__name__}': add_arguments and run must be functions")


def load_apps(names: Sequence[str] | None = None) -> dict[str, ModuleType]:
    """Import the registered application modules (``scratchdl.apps.APP_MODULES``), checked, by NAME."""
    if names is None:
        from scratchdl.apps import APP_MODULES

        names = APP_MODULES
    apps: dict[str, ModuleType] = {}
    for module_name in names:
        module = importlib.import_module(f"scratchdl.apps.{module_name}")
        check_app(module)
        if module.NAME in apps:
            raise TypeError(f"two application modules are named '{module.NAME}'")
        apps[module.NAME] = module
    return apps


def add_app_parser(commands: Any, app: ModuleType) -> argparse.ArgumentParser:
    """Add ``app``'s sub-command to the ``add_subparsers`` object ``commands``; return its parser."""
    description = (app.__doc__ or app.HELP).strip()
    parser = commands.add_parser(app.NAME, help=app.HELP, description=description,
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    app.add_arguments(parser)
    add_common_arguments(parser, app.QUICK)
    parser.set_defaults(app=app, app_parser=parser, command_parser=parser)
    return parser


def app_parser(app: ModuleType) -> argparse.ArgumentParser:
    """A stand-alone parser of ``app``'s options (``scratchdl <app>`` without the top-level parser)."""
    parser = OneLineErrorParser(prog=f"scratchdl {app.NAME}", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    app.add_arguments(parser)
    add_common_arguments(parser, app.QUICK)
    return parser


def quick_namespace(app: ModuleType, parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` (the app's own arguments) with the app's ``QUICK`` values as defaults: options
    given in ``argv`` still win."""
    dests = {action.dest for action in parser._actions}
    unknown = sorted(set(app.QUICK) - dests)
    if unknown:
        raise TypeError(f"application '{app.NAME}': QUICK names unknown options {unknown}")
    return parser.parse_args(list(argv), namespace=argparse.Namespace(**app.QUICK))


# ---------------------------------------------------------------------------------------- running
def run_app(app: ModuleType, args: argparse.Namespace, echo: bool = True) -> tuple[Results, Path, float]:
    """Run one application with parsed ``args``: make the run directory, seed, call ``app.run``,
    write ``metrics.json``, print the tables (when ``echo``). Returns ``(results, run_dir, seconds)``.

    User errors propagate (see :data:`USER_ERRORS`); :func:`main_for_app` turns them into one line.
    """
    existed = args.out is not None and Path(args.out).expanduser().is_dir()
    path = make_run_dir(app.NAME, args.out)
    try:
        return _run_in(app, args, path, echo)
    except BaseException:
        if not existed and path.is_dir() and not any(path.iterdir()):
            path.rmdir()  # a run that failed before writing anything leaves no empty directory behind
        raise


def _run_in(app: ModuleType, args: argparse.Namespace, path: Path, echo: bool) -> tuple[Results, Path, float]:
    context = RunContext(app.NAME, path, args.seed)
    internal = ("run", "handler", "app", "app_parser", "command_parser", "command", "traceback")
    options = {k: v for k, v in vars(args).items() if k not in internal}
    sd.utils.set_random_seed(args.seed)
    args.run = context
    started = _dt.datetime.now().isoformat(timespec="seconds")
    start = time.perf_counter()
    results = app.run(args)
    seconds = time.perf_counter() - start
    if not isinstance(results, dict) or "data" not in results:
        raise TypeError(f"application '{app.NAME}': run() must return a Results dict with at least 'data'")
    tables = list(results.get("tables", []))
    record = {
        "app": app.NAME, "started": started, "seconds": round(seconds, 3), "seed": args.seed,
        "scratchdl_version": sd.__version__, "options": options, "data": results.get("data"),
        "metric": results.get("metric"), "value": results.get("value"), "metrics": results.get("metrics", {}),
        "tables": tables, "figures": context.figures, "models": context.models,
    }
    context.write_json("metrics.json", record)
    if echo:
        for table in tables:
            print(table.format())
            print()
        print(f"{app.NAME}: {seconds:.1f} s; figures, metrics.json and model in {path}")
    return results, path, seconds


def report_error(prog: str, error: BaseException) -> None:
    """Print ``<prog>: error: <message>`` as one line on stderr."""
    message = _one_line(str(error)) or type(error).__name__
    if isinstance(error, ImportError) and not isinstance(error, ModuleNotFoundError) and not message:
        message = "a required package is missing"
    print(f"{prog}: error: {message}", file=sys.stderr)


def main_for_app(app: ModuleType, args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Run ``app`` from the command line: user errors become one line on stderr and exit code 2.

    With ``--quick``, ``argv`` (the application's own arguments) is parsed again with the app's
    ``QUICK`` values as defaults, so options given on the command line still win.
    """
    try:
        if getattr(args, "quick", False) and argv is not None:
            traceback_flag = getattr(args, "traceback", False)
            args = quick_namespace(app, args.app_parser, argv)
            args.traceback = traceback_flag
        run_app(app, args)
    except USER_ERRORS as error:
        if getattr(args, "traceback", False):
            raise
        report_error(f"scratchdl {app.NAME}", error)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"scratchdl {app.NAME}: interrupted", file=sys.stderr)
        return 130
    return 0


def run_tour(apps: dict[str, ModuleType], names: Sequence[str], out: str | None, seed: int,
             full: bool = False) -> int:
    """Run each named application with its ``QUICK`` options (all its defaults with ``full``) on its
    default data, each into ``<tour dir>/<app>/``; print one table and write the tour's
    ``metrics.json``. An application that fails gets its one-line error in the table; the return
    code is then 1."""
    unknown = [name for name in names if name not in apps]
    if unknown:
        raise AppError(f"--apps: unknown application(s) {', '.join(unknown)} (known: {', '.join(apps)})")
    root = make_run_dir("tour", out)
    table = Table(["application", "data", "metric", "value", "seconds"],
                  title=f"scratchdl tour ({'full' if full else 'quick'} sizes, seed {seed})", formats={"seconds": ".1f"})
    failed = 0
    for name in names:
        app = apps[name]
        parser = app_parser(app)
        argv = ["--out", str(root / name), "--seed", str(seed)]
        args = parser.parse_args(argv) if full else quick_namespace(app, parser, argv)
        args.quick = not full
        print(f"tour: {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the tour's stdout is its table alone
                results, _, seconds = run_app(app, args, echo=False)
        except USER_ERRORS as error:
            failed += 1
            table.add(name, "failed", _one_line(str(error)), "-", time.perf_counter() - start)
            continue
        table.add(name, results["data"], results.get("metric", "-"), results.get("value", "-"), seconds)
    text = table.format()
    print(text)
    print(f"\ntour: every run directory is under {root}")
    (root / "results.txt").write_text(text + "\n", encoding="utf-8")
    RunContext("tour", root, seed).write_json(
        "metrics.json", {"seed": seed, "sizes": "full" if full else "quick", "table": table})
    return 1 if failed else 0

