"""The engine's web app: Twilio's inbound-SMS and delivery-status webhooks."""
