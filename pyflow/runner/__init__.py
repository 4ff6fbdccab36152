"""Runner: load a project, select, compile, and execute nodes in DAG order; emits events.

May import every layer but ``cli``; picks an adapter through ``pyflow.adapters.adapter_class``.
"""
