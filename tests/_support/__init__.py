"""Helpers several test modules share that are not fixtures (``pythonpath`` puts tests/ on
the import path: ``from _support.torchrun import launch``)."""
