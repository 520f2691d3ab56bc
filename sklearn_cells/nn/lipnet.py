"""LipNet: the small CNNs of seed 003 for classifying particle cut-outs.

Five configurations (seed section 7, Fig. 13), named after their number of
convolutional layers. All use *same* padding, 3x3 kernels, unit stride (except
the strided down-sampling of ``lipnet4c``), ReLU and ``n_filters`` channels:

========== =================================================================
lipnet1    [conv, maxpool, dropout], dense, dropout, dense
lipnet2    [conv, maxpool, dropout] x 2, dense, dropout, dense
lipnet4    [conv, conv, maxpool, dropout] x 2, dense, dropout, dense (VGG-like)
lipnet4c   [conv, conv, conv/2, dropout] x 2, 1x1 conv to n_classes, global
           average pooling: max-pooling replaced by stride-2 convolutions and
           flattening by a 1x1 convolution (fully convolutional)
lipnet6    [conv, conv, maxpool, dropout] x 3, dense, dropout, dense; the seed
           feeds it 32x32 inputs (28x28 also works here: pooling floors)
========== =================================================================

The modules return logits; use ``torch.nn.CrossEntropyLoss`` to train them and
``softmax`` for probabilities. They are plain ``torch.nn.Module`` s, usable in
a hand-written training loop.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LIPNET_ARCHITECTURES", "LipNet"]

#: Convolution blocks of each architecture: number of 3x3 convolutions per
#: block (each block ends with a 2x down-sampling and dropout).
LIPNET_ARCHITECTURES: dict[str, tuple[int, ...]] = {
    "lipnet1": (1,),
    "lipnet2": (1, 1),
    "lipnet4": (2, 2),
    "lipnet4c": (2, 2),
    "lipnet6": (2, 2, 2),
}


def _conv(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]


class LipNet(nn.Module):
    """One of the LipNet CNNs of seed 003 (LipNet-1/2/4/4c/6).

    Parameters
    ----------
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}
        Which network (see the module docstring).
    n_classes : int
        Number of outputs (logits).
    in_channels : int, default=1
        Channels of the input images (1 for grayscale EM).
    input_size : int or (int, int), default=28
        Height and width of the inputs. Needed to size the dense layer; the
        fully convolutional ``lipnet4c`` accepts any size at least this large.
    n_filters : int, default=32
        Channels of every convolution (32 in the seed).
    hidden_size : int, default=128
        Units of the hidden dense layer (not used by ``lipnet4c``).
    dropout : float, default=0.25
        Dropout probability after each convolution block and before the
        output layer.

    Examples
    --------
    >>> import torch
    >>> net = LipNet("lipnet4", n_classes=3)
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        architecture: str,
        n_classes: int,
        *,
        in_channels: int = 1,
        input_size: int | tuple[int, int] = 28,
        n_filters: int = 32,
        hidden_size: int = 128,
        dropout: float = 0.25,
    ):
        super().__init__()
        if architecture not in LIPNET_ARCHITECTURES:
            raise ValueError(
                f"Unknown architecture {architecture!r}; choose one of "
                f"{sorted(LIPNET_ARCHITECTURES)}."
            )
        height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
        blocks = LIPNET_ARCHITECTURES[architecture]
        min_size = 2 ** len(blocks)
        if min(height, width) < min_size:
            raise ValueError(
                f"{architecture} down-samples the input {len(blocks)} times and needs "
                f"inputs of at least {min_size}x{min_size}; got {height}x{width}. "
                "Resize the particles to a larger size (e.g. output_size=28)."
            )
        self.architecture = architecture
        strided = architecture == "lipnet4c"
        layers: list[nn.Module] = []
        channels = in_channels
        for n_convs in blocks:
            for _ in range(n_convs):
                layers += _conv(channels, n_filters)
                channels = n_filters
            # lipnet4c replaces max-pooling by a stride-2 convolution [Springenberg et al.]
            layers += _conv(channels, n_filters, stride=2) if strided else [nn.MaxPool2d(2)]
            layers.append(nn.Dropout(dropout))
            # stride-2 'same' convolutions round up, max-pooling rounds down
            height, width = ((height + 1) // 2, (width + 1) // 2) if strided else (height // 2, width // 2)
        self.features = nn.Sequential(*layers)
        if strided:
            self.classifier = nn.Sequential(
                nn.Conv2d(channels, n_classes, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()
            )
        else:
            self.classifier = nn.Sequential(
                nn.Flatten(),
                nn.Linear(channels * height * width, hidden_size),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
                nn.Linear(hidden_size, n_classes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, n_classes)`` for images ``(batch, C, H, W)``."""
        return self.classifier(self.features(x))
