"""`python -m circle` runs the command line."""
from circle.cli import run

run()
