"""The clinician dashboard under /staff/: plain function views, one module per page group.

- `queue`: the review queue and its CSV export;
- `submissions`: one submission's record, assignment, status, decisions, lab results;
- `patients`: one patient's record, merge, split, export and erasure;
- `reminders`: the failed reminders, with a retry button;
- `tasks`: "My tasks" and all open tasks, closing and reassigning a task, closing a
  submission with a reason.

Every view is wrapped in `permissions.staff_view(permission)`. A view parses the request,
gets a patient's record only through `screening.accounts.access` (404 for anyone who may not
see it, and the audit event), calls one service or query of `screening.domain`, and
renders. A service that changes or exports patient data writes its own audit event, in
the same transaction as the change; the view passes who (`request.user`) and from where
(`screening.web.addresses.client_ip`), and wraps nothing in a transaction of its own.
"""
