"""Fault injection: the engine killed, restarted and starved, with loopback providers."""
