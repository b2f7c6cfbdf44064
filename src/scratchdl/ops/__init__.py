"""Differentiable primitives on tensors, one topic per module.

Each op is a small ``Function`` subclass (forward and backward on raw arrays) and a typed public
function documented with its math. Everything here is also reachable as ``scratchdl.ops.<name>``.
"""

from scratchdl.ops.arithmetic import *  # noqa: F401,F403
from scratchdl.ops.comparison import *  # noqa: F401,F403
from scratchdl.ops.elementwise import *  # noqa: F401,F403
from scratchdl.ops.activation import *  # noqa: F401,F403
from scratchdl.ops.reduction import *  # noqa: F401,F403
from scratchdl.ops.shape import *  # noqa: F401,F403
from scratchdl.ops.padding import *  # noqa: F401,F403
from scratchdl.ops.indexing import *  # noqa: F401,F403
from scratchdl.ops.linalg import *  # noqa: F401,F403
from scratchdl.ops.softmax import *  # noqa: F401,F403
from scratchdl.ops.loss import *  # noqa: F401,F403
from scratchdl.ops.random import *  # noqa: F401,F403
from scratchdl.ops.normalization import *  # noqa: F401,F403
from scratchdl.ops.conv import *  # noqa: F401,F403
from scratchdl.ops.conv_transpose import *  # noqa: F401,F403
from scratchdl.ops.pooling import *  # noqa: F401,F403
from scratchdl.ops.resize import *  # noqa: F401,F403
from scratchdl.ops.recurrent import *  # noqa: F401,F403
from scratchdl.ops.attention import *  # noqa: F401,F403
