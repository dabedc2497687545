"""The three machines (welfare check, case, legal action): pure transitions over adapters.

May import only `school`; no database sessions, no sending.
"""
