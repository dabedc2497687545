"""The watchdog: finds what the chase should have done and has not, and tells the attendance lead.

`problems` reads a school's outbox, checks and registers for each kind of problem; `service`
raises each once (a stored row with a stable key), sends it to the lead and resolves it when
it clears.
"""
