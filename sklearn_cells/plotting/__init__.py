"""plotting."""

__all__: list[str] = []
