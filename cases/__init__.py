"""Casework: pupils' cases through the six stages, the daily review, letters, legal actions,
duties to the local authority and evidence packs.

May import `school`, `state_machines`, `notifications` and read `chase`; never the doors.
"""
