"""chaingrad's neural-network layer over the `autograd` engine."""

__all__ = []
