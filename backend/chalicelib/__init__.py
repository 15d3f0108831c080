"""The Creditdesk Chalice app's library, split by role. Dependencies point inwards:

- ``entry/``: the entry points (routes, the authorizer, the queue and topic workers, the
  schedules, the OpenAPI document, the HTTP mapping): the only code that imports Chalice and
  speaks HTTP;
- ``services/``: the service layer: plain functions over ``Deps``, the ports they talk to
  (``services/ports.py``), the errors they raise (``services/errors.py``), the storage schema
  (``services/keys.py``); it imports neither Chalice, nor boto3, nor any adapter;
- ``adapters/``: the real ports on AWS (DynamoDB + S3, SES v2, SQS, Powertools idempotency,
  the system clock); they import the ports, never the entry points;
- ``bootstrap.py``: the composition root, which wires the adapters into the services;
- ``config.py``: the runtime configuration (environment variables, resource names, the
  constants the handlers and the infrastructure share), imported by every layer and by the
  operator tools.

Nothing here imports the operator tools (``backend/ops``: the local stack, the AWS resources
as CloudFormation, packaging) or builds an AWS client at import: clients come from small
cached getters in ``adapters/aws.py``, so a cold start pays for boto3 only in the functions
that use it. ``tests/backend/test_layers.py`` checks these rules.
"""
