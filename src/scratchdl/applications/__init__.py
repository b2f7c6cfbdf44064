"""Ready-made architectures with Keras 3's ``keras.applications`` names and layouts.

``ResNet50`` builds the same functional model as ``keras.applications.ResNet50`` (same layer
names, order and weight shapes), so Keras weights load into it unchanged. Pretrained weights are
not downloaded: pass ``weights=None`` and load a local file with ``model.load_weights(path)``.
"""

from scratchdl.applications import resnet
from scratchdl.applications import resnet as resnet50
from scratchdl.applications.resnet import ResNet50

__all__ = ["ResNet50", "resnet", "resnet50"]
