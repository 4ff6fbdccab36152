"""The ``pyflow`` command line (Typer): parse arguments, call the runner, render events.

Only this package prints. It holds no business logic and imports the runner lazily, so
``pyflow --help`` loads neither Ibis, pandas nor DuckDB.
"""
