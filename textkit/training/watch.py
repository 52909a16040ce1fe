"""What the shared loop watches besides the step: the classic checks that tell early that a run is
broken ("verify the loss at init", "overfit one batch", a loss that explodes or never moves),
stochastic weight averaging, and TensorBoard logging.  Each is a small object the loop calls at
fixed points, so a task gets all of them without knowing they exist."""

from __future__ import annotations

import math
import warnings

import torch

from textkit.errors import TextkitError, TextkitWarning

EXPLODE_FACTOR = 3.0  # a running loss this many times the first one (and 5 nats above) explodes
PLATEAU_RELATIVE = 0.002  # monitored metric moving less than this over the window: a plateau


def _warn(message: str) -> None:
    warnings.warn(message, TextkitWarning, stacklevel=3)


class Sanity:
    """Checks a run against what a healthy one looks like, and says what to do when it doesn't."""

    def __init__(self, task, cfg) -> None:
        self.task, self.cfg = task, cfg
        self.first: float | None = None
        self.history: list[float] = []
        self.plateau_said = False

    def first_loss(self, loss: float, resumed: bool = False) -> None:
        """The loss of the very first step, against ln(V) for a V-way softmax: a model that
        knows nothing yet should be unsure of every class alike (a resumed run has learnt: its
        first loss is only the reference for the explosion check)."""
        self.first = loss
        n = getattr(self.task, "n_outputs", None)
        if not n or self.cfg.overfit_batch or resumed:
            return
        expected = math.log(n)
        if loss > expected + max(1.0, 0.5 * expected):
            _warn(
                f"the first loss is {loss:.3f}, far above ln({n}) = {expected:.3f} expected of an "
                "untrained model: its initial outputs are over-confident (check the output layer's "
                "initialisation and the targets)"
            )
        elif loss < 0.5 * expected:
            _warn(
                f"the first loss is {loss:.3f}, far below ln({n}) = {expected:.3f} expected of an "
                "untrained model: the targets may be leaking into the inputs"
            )

    def running(self, loss: float, step: int) -> None:
        """Stops a run whose loss explodes, before anything after the last checkpoint is saved."""
        if self.first is None or self.cfg.overfit_batch:
            return
        if loss > max(EXPLODE_FACTOR * self.first, self.first + 5.0):
            raise TextkitError(
                f"the training loss exploded from {self.first:.3f} to {loss:.3f} by step {step}; nothing "
                "after the last checkpoint was saved. Lower --lr, keep --clip on (e.g. 1.0), or try --no-amp"
            )

    def evaluated(self, value: float, monitor: str, mode: str = "min") -> None:
        """Says once when the monitored metric hasn't moved over ``plateau_evals`` evaluations
        (unless it sits at its perfect value: a loss of 0, an accuracy of 1)."""
        self.history.append(value)
        if (mode == "min" and abs(value) < 1e-4) or (mode == "max" and value > 0.9999):
            return
        n = self.cfg.plateau_evals
        if self.plateau_said or not n or len(self.history) <= n:
            return
        window = self.history[-(n + 1) :]
        if max(window) - min(window) <= PLATEAU_RELATIVE * max(
            abs(sum(window) / len(window)), 1e-9
        ):
            self.plateau_said = True
            _warn(
                f"{monitor} has not moved in {n} evaluations ({window[0]:.4f} -> {window[-1]:.4f}): "
                "try a higher --lr, a shorter --warmup, or a bigger model"
            )

    def overfit_report(self, last: float | None) -> str | None:
        """With --overfit-batch: did the model drive one batch's loss towards zero?"""
        if not self.cfg.overfit_batch or self.first is None or last is None:
            return None
        if last > 0.1 * self.first:
            _warn(
                f"could not overfit a single batch: its loss went from {self.first:.3f} only to "
                f"{last:.3f} (a healthy model and data pipeline drive it near zero): check the "
                "targets, the learning rate, and that the model can see its inputs"
            )
            return None
        return f"overfit one batch: loss {self.first:.3f} -> {last:.4f} (the model can learn its targets)"


class WeightAverage:
    """Stochastic weight averaging (Izmailov et al. 2018, ``torch.optim.swa_utils``): the weights
    are averaged over the last ``swa`` fraction of training; the average is evaluated at the end
    and kept if it beats the best checkpoint."""

    EVERY = 10  # steps between updates of the average

    def __init__(self, model: torch.nn.Module, fraction: float) -> None:
        from torch.optim.swa_utils import AveragedModel

        self.fraction = fraction
        self.average = AveragedModel(model)

    def started(self, step: int, total: int | None, elapsed: float, budget: float | None) -> bool:
        if total:
            return step >= total * (1 - self.fraction)
        return bool(budget) and elapsed >= budget * (1 - self.fraction)

    def update(self, model: torch.nn.Module, step: int) -> None:
        if step % self.EVERY == 0:
            self.average.update_parameters(model)

    @property
    def ready(self) -> bool:
        return int(self.average.n_averaged) > 0

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.average.module.state_dict().items()}


class TensorBoard:
    """The same scalars as metrics.jsonl, and the task's text samples, as TensorBoard events."""

    def __init__(self, logdir: str) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise TextkitError(
                "--tensorboard needs the tensorboard package: pip install tensorboard "
                "(or pip install 'textkit[tensorboard]')"
            ) from None
        self.writer = SummaryWriter(logdir)

    def row(self, row: dict, step: int) -> None:
        for key, value in row.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def text(self, tag: str, text: str, step: int) -> None:
        self.writer.add_text(tag, text, step)

    def close(self) -> None:
        self.writer.close()
