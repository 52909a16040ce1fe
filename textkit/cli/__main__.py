"""`python -m textkit.cli ...`"""

from textkit.cli import main

main(prog_name="textkit")
