"""The Creditdesk Chalice app's library: routes, schedules and workers (blueprints), the
service layer, and the ports and adapters around AWS.

Layout (dependencies point inwards):

- ``routes``, ``auth``, ``workers``, ``schedules``: blueprints, thin: parse, call a service,
  answer;
- ``services``, ``sending``, ``ledgers``, ``history``: the service layer, plain functions that
  take a ``Deps`` (see ``bootstrap``);
- ``ports``: the small interfaces (Store, Mailer, Queue, Clock); ``adapters``: the real ones
  (DynamoDB + S3, SES v2, SQS, the system clock); tests subclass the same ports with fakes;
- ``resources``: the AWS resources the app needs, created locally or merged into the
  CloudFormation template.

Nothing here creates an AWS client at import: clients come from small cached getters in
``aws``, so a cold start pays for boto3 only in the functions that use it.
"""
