"""The demo: a generated school (pupils, contacts, a term of marks) and a scripted morning.

A door like the CLI: may import every service room, and nothing imports it but the CLI.
"""
