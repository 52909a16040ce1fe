"""`python cli.py ...` runs the same CLI as the installed `textkit` command."""

from textkit.cli import main

if __name__ == "__main__":
    main(prog_name="textkit")
