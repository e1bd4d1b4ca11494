"""chaingrad's neural-network layer over the `autograd` engine."""

from . import init
from .data import batches
from .layers import MLP, Dropout, Embedding, Layer, Neuron
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss
from .module import Module, Parameter, StateDictError
from .optim import SGD, Adagrad, Adam, NonFiniteGradientError, Optimizer, clip_grad_norm, clip_grad_value
from .rnn import RNN, RNNCell, detach, sample

__all__ = [
    "init",
    "Module",
    "Parameter",
    "StateDictError",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "Embedding",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "Optimizer",
    "SGD",
    "Adam",
    "Adagrad",
    "clip_grad_value",
    "clip_grad_norm",
    "NonFiniteGradientError",
    "batches",
    "RNNCell",
    "RNN",
    "detach",
    "sample",
]
