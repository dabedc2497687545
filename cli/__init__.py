"""The `attendance` command (Typer + rich): a door that parses, calls a service and prints.

Holds no rules of its own.
"""
