"""Loggers: `Callback`s that copy a run's records to the tools researchers already use."""

from sbexplore.loggers.tensorboard import TensorBoardLogger

__all__ = ["TensorBoardLogger"]
