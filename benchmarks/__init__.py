"""Benchmarks of scratchdl against PyTorch (and Keras 3), measured in the same run.

Run ``python -m benchmarks`` (``--quick`` for a short pass). Nothing here is imported by the
package; the tests import only ``timing`` (``tests/benchmarks``), to check its call order.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 runs on the same PyTorch build
