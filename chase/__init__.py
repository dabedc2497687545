"""The morning chase: welfare checks opened at register close and stepped to each deadline,
parents' replies, staff call tasks and DSL alerts.

May import `school`, `state_machines` and `notifications`; never `cases` or the doors.
"""
