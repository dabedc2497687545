"""A pupil's evidence pack PDF: what a local authority asks for with a penalty-notice referral.

`service` draws the pack from the `chronology`, the `register` and the `sections`. May import
`school`, `notifications`, `cases.models` and read `chase`; never the doors.
"""
