"""Duties to the local authority as tasks with deadlines, raised by one pass over a school.

`service` holds the entry points; `rules`, `facts`, `queries` and `raising` serve it. May import
`school`, `cases.models` and read `chase.models`; never the doors.
"""
