"""The daily review: every pupil's figures against the school's letter ladder, applied or
proposed, case actions planned, cases stepped down, overdue actions listed.

Doors and flows call `cases.review.service`. May import `school`, `state_machines` and
`cases.models`; nothing here imports the doors, `flows` or the rest of `cases`.
"""
