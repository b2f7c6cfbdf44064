"""ResNet-50 in PyTorch with exactly Keras's ``applications.ResNet50`` layout (benchmark-only code).

torchvision's ResNet-50 differs from Keras's (stride on the 3x3 convolution, no convolution
biases, BatchNorm epsilon 1e-5, max-pool padding), so this module rebuilds Keras's: the stride
on the first 1x1 convolution of a projecting block, biases on every convolution, BatchNorm
epsilon 1.001e-5 (momentum 0.99 in Keras's convention, 0.01 in torch's), zero padding before
the 7x7 stem convolution and the 3x3 max-pool. Sub-modules are keyed by the Keras layer names,
so ``load_keras_weights`` copies a Keras or scratchdl model's weights layer by layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["KerasLayoutResNet50", "load_keras_weights"]

_EPS = 1.001e-5
_MOMENTUM = 0.01  # torch's convention: 1 - Keras's 0.99
_STACKS = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_EPS, momentum=_MOMENTUM)


class KerasLayoutResNet50(nn.Module):
    """ResNet-50 v1 as Keras builds it, NCHW, logits out (``classes`` outputs)."""

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        layers: dict[str, nn.Module] = {"conv1_conv": nn.Conv2d(3, 64, 7, stride=2), "conv1_bn": _bn(64)}
        self.blocks: list[tuple[str, int, bool]] = []
        channels = 64
        for stack, filters, blocks, stride in _STACKS:
            for index in range(1, blocks + 1):
                name = f"{stack}_block{index}"
                block_stride = stride if index == 1 else 1
                if index == 1:
                    layers[f"{name}_0_conv"] = nn.Conv2d(channels, 4 * filters, 1, stride=block_stride)
                    layers[f"{name}_0_bn"] = _bn(4 * filters)
                layers[f"{name}_1_conv"] = nn.Conv2d(channels, filters, 1, stride=block_stride)
                layers[f"{name}_1_bn"] = _bn(filters)
                layers[f"{name}_2_conv"] = nn.Conv2d(filters, filters, 3, padding=1)
                layers[f"{name}_2_bn"] = _bn(filters)
                layers[f"{name}_3_conv"] = nn.Conv2d(filters, 4 * filters, 1)
                layers[f"{name}_3_bn"] = _bn(4 * filters)
                self.blocks.append((name, block_stride, index == 1))
                channels = 4 * filters
        layers["predictions"] = nn.Linear(channels, classes)
        self.layers = nn.ModuleDict(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for NCHW images."""
        m = self.layers
        x = F.pad(x, (3, 3, 3, 3))
        x = F.relu(m["conv1_bn"](m["conv1_conv"](x)))
        x = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2)  # after ReLU: zero padding = -inf padding
        for name, _, projects in self.blocks:
            shortcut = m[f"{name}_0_bn"](m[f"{name}_0_conv"](x)) if projects else x
            h = F.relu(m[f"{name}_1_bn"](m[f"{name}_1_conv"](x)))
            h = F.relu(m[f"{name}_2_bn"](m[f"{name}_2_conv"](h)))
            h = m[f"{name}_3_bn"](m[f"{name}_3_conv"](h))
            x = F.relu(shortcut + h)
        return m["predictions"](x.mean(dim=(2, 3)))


def load_keras_weights(module: KerasLayoutResNet50, model: Any) -> None:
    """Copy the weights of a Keras-layout ResNet-50 (scratchdl or Keras) into ``module``."""
    with torch.no_grad():
        for name, target in module.layers.items():
            arrays = [np.asarray(w) for w in model.get_layer(name).get_weights()]
            if isinstance(target, nn.Conv2d):
                target.weight.copy_(torch.from_numpy(arrays[0].transpose(3, 2, 0, 1).copy()))
                target.bias.copy_(torch.from_numpy(arrays[1]))
            elif isinstance(target, nn.BatchNorm2d):
                gamma, beta, mean, variance = arrays
                target.weight.copy_(torch.from_numpy(gamma))
                target.bias.copy_(torch.from_numpy(beta))
                target.running_mean.copy_(torch.from_numpy(mean))
                target.running_var.copy_(torch.from_numpy(variance))
            else:
                target.weight.copy_(torch.from_numpy(arrays[0].T.copy()))
                target.bias.copy_(torch.from_numpy(arrays[1]))
