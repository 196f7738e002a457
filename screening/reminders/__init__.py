"""Reminders: every email is an outbox row before anything is sent (docs/reminders.md).

Scheduling (`scheduling`; call inside the transaction of the event that causes the reminder):
- `reminder_schedule_follow_up`, `reminder_schedule_blood_test`: from `review_record`.
- `reminder_schedule_unfinished_intake`: when a patient saves an intake to finish later.
- `reminders_schedule_escalations`, `reminders_schedule_digest`: periodic, for staff.

Each row's `key` is unique per cause, so scheduling twice stores once.

Sending:
- `dispatch.reminders_dispatch` (every minute) claims due rows with one compare-and-set
  update from pending to queued and, after the transaction commits, enqueues
  `tasks.reminders_send` with REMINDER_SEND_CHUNK ids a task (rows the broker would not
  take go back to pending). It also re-enqueues rows queued for too long (a lost
  message) and fails rows left in sending by a killed worker (never resent: we cannot
  know whether SMTP took them).
- `delivery.reminders_deliver` (the body of `tasks.reminders_send`) sends the ids one by
  one over one SMTP connection; it reads the chunk's rows with the re-check's lookups in
  one query (`recheck`; again once that read is RECHECK_MAX_AGE_SECONDS old); for each
  id, `_deliver` wins the row with a compare-and-set update from queued to sending,
  re-checks that the reason still holds, and sends. A second delivery of the same id
  finds the row no longer queued and sends nothing.
  `delivery.reminder_deliver` (`tasks.reminder_send`) does the same for one id.

The modules: `hours` (clinic time, the patient email hours), `rows` (what the others share
about an outbox row), `scheduling`, `dispatch`, `recheck`, `delivery` (and the staff's
retry), `opt_out`; `emails` (one function per kind), `links` and `unsubscribe` (signed
links), `views` (the unsubscribe page), `checks` (settings checked at start-up).

Logs name reminders by public id only: never an address, a name or a token.
"""
