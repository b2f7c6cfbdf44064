"""The applications of the ``scratchdl`` command: one module per application, public API only.

Each module exposes ``NAME``, ``HELP``, ``QUICK``, ``add_arguments(parser)`` and ``run(args)``
(see :mod:`scratchdl.apps._runner`, which holds the shared machinery). ``APP_MODULES`` lists them
in the order of the course; ``scratchdl --help`` and ``scratchdl tour`` follow it.
"""

#: Application modules under ``scratchdl.apps``, in course order (add new ones here).
APP_MODULES: tuple[str, ...] = ("logreg", "planar", "deepnn", "init", "regularize", "optimize", "gradcheck", "signs")

__all__ = ["APP_MODULES"]
