"""The foundation: tables, DfE codes, calendars, policy files, the register and its statistics.

Imports nothing else of ours; every other room builds on it.
"""
