"""Legal actions: Notices to Improve, penalty notices within the per-parent limit, suspension
penalty notices, payments, non-payment decisions and withdrawals, as the law allows.

May import `school`, `state_machines` and `cases.models`; never the case services or the doors.
`law` holds the numbers, wording and pure decisions; `refusals` the one refusal every module
raises; `queries` the reads; `effects` the rows written, one transaction a call. Doors call the
entry points in `notice_to_improve`, `penalty_notice`, `suspension`, `payments`, `withdrawal`
and `queries.events_of`; the review reads `threshold` (the national threshold on firm absence,
one period at a time) and `proposals` (its legal proposals, decided by a notice); `agenda` lists
the legal decisions due. Names with a leading underscore are private to this package.
"""
