"""The engine's web app: Twilio's inbound-SMS and delivery-status webhooks.

A door: parses a request, calls a service in `chase` or `cases`, and answers; no rules.
"""
