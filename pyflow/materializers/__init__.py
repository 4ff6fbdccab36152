"""Materializers: how a compiled node becomes a relation, written once over the adapter API.

Picked from the kind -> class table in :mod:`pyflow.materializers.registry`. May import ``core``,
``compile``, ``adapters.base``, ``errors`` and ``relation``; never a concrete adapter.
"""
