"""Case letters: their contexts read from the database, rendered by `notifications.letters`,
then emailed through the outbox or marked for printing.

May import `school`, `notifications` and `cases.models` (and `cases.review` for which actions
are letters); never the doors.
"""
