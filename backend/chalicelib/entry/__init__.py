"""The entry points: the only modules that know Chalice and HTTP. Each parses what comes in,
calls the service layer with ``bootstrap.current()``'s ``Deps`` and answers.

- ``routes``: the REST API v1 (a blueprint); ``openapi``: its OpenAPI document;
- ``auth``: the API key authorizer;
- ``workers``: the SQS handlers (``send_worker``, ``work_worker``) and the SNS one
  (``ses_events``);
- ``schedules``: the EventBridge schedules (``tick``, ``nightly_scores``, ``weekly_digest``);
- ``http``: the HTTP mapping: JSON in and out, and every service error's status.
"""
