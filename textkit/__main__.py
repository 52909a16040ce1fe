"""``python -m textkit ...``: the CLI, also as torchrun launches it
(``torchrun --nproc_per_node=2 -m textkit train-charrnn ...``)."""

from textkit.cli import main

main(prog_name="textkit")
