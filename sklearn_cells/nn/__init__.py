"""nn."""

from .unet import unet_receptive_field

__all__: list[str] = ["unet_receptive_field"]
