"""Target settings for blue-green deploys: ``blue_green`` and ``releases`` of a profiles.yml output.

Shared by every engine's target model (:mod:`pyflow.config.profile`) as a base class, so each
output accepts the same two keys (documented in docs/deploying-safely.md):

.. code-block:: yaml

    outputs:
      prod:
        type: duckdb
        blue_green: true          # build/run/seed/snapshot publish releases (as --blue-green)
        releases:
          keep: 3                 # published releases whose tables are kept (rollback targets)
          schema: ops_pyflow      # where the pyflow_releases table lives (default <schema>__pyflow)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

RELEASES_TABLE = "pyflow_releases"
"""The table of release events, in the schema of :attr:`ReleasesConfig.schema_`."""


class ReleasesConfig(BaseModel):
    """``releases:`` of a target: how many releases to keep, and where their metadata lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keep: int = Field(default=3, ge=1)
    """Published releases whose physical tables are kept (the current one included)."""
    schema_: str | None = Field(default=None, alias="schema", min_length=1)
    """Schema of the ``pyflow_releases`` table; unset: ``<target schema>__pyflow``."""


class ReleaseSettings(BaseModel):
    """The blue-green keys every target output accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blue_green: bool = False
    """Make ``build``/``run``/``seed``/``snapshot`` on this target blue-green (``--no-blue-green``: not)."""
    releases: ReleasesConfig = ReleasesConfig()
