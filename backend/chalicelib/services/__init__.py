"""The service layer: plain functions over ``Deps`` (``ports``), called by the entry points,
the operator tools and the tests. It imports neither Chalice nor boto3 nor any adapter
(``tests/backend/test_layers.py`` checks it), talks to the outside only through the ports,
and refuses requests with the errors in ``errors``.

One module per concern (a newcomer's map):

- ``snapshots``: ledger snapshots in (inline and by upload) and the one in force;
- ``batches``: reminder batches: accepted once per part, stored, enqueued, reported; the
  computed batch;
- ``sending``: the send worker's logic: each reminder sent at most once per key; the digest;
- ``history``: the contact history, promises, disputes and notes, SES events, suppression;
- ``scores``: payment scores of the snapshot in force;
- ``erasure``: erasing a customer's personal data (and what is kept);
- ``cycle``: what the schedules run: due tenants, the daily cycle, the work items;
- ``ledgers``: the domain as the backend uses it (snapshot to ledger, today's reminders,
  scores, the digest);
- ``tenancy``: tenants, API keys, profiles;
- ``keys``: the storage schema and keys; ``pages``: page tokens; ``messages``: queue bodies;
- ``ports``: the interfaces and ``Deps``; ``errors``: the errors.
"""
