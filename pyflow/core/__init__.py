"""Core: model specs, the @model decorator, SQL/Jinja models, the registry, graph and selector.

Knows nothing about engines: must not import ``compile``, ``adapters``, ``materializers``,
``runner``, ``cli`` or any driver.
"""
