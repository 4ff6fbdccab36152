"""Configuration: pyflow.yml, profiles.yml and per-model config, validated with pydantic.

May import ``errors``, ``relation`` and ``core`` kind types; never adapters, runner or cli.
"""
