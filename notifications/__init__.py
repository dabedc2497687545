"""Messages out: the outbox (writing, claiming, sending, recording outcomes), channels (Twilio
SMS, SMTP email, a local folder), rendering with jinja2, and letters as HTML and PDF.

May import only `school`: the chase hears of a failed send through a callback it passes in.
"""
