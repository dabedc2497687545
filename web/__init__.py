"""The engine's web app: the staff pages (morning board, DSL inbox) and Twilio's webhooks.

A door: parses a request, checks who is asking, calls a service in `chase` or `cases`, and
answers; no rules.
"""
