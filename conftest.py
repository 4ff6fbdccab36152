"""Repository pytest setup: load pyflow's pytest plugin when no installed entry point did.

``pip install -e .`` registers :mod:`pyflow.testing.plugin` as the ``pytest11`` entry point
``pyflow``, which pytest loads (importing the module) before it reads this file. A checkout run
without (re)installing gets the plugin from here instead, so ``python -m pytest`` always
collects the YAML unit tests of ``examples/``.
"""

from __future__ import annotations

import sys

if "pyflow.testing.plugin" not in sys.modules:
    pytest_plugins = ["pyflow.testing.plugin"]
