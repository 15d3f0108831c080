"""The real adapters: each implements a port of ``chalicelib.services.ports`` on AWS.

- ``dynamo``: ``DynamoStore`` (Store: DynamoDB + S3);
- ``ses``: ``SesMailer`` (Mailer: SES v2), and ``eml`` for the local outbox;
- ``sqs``: ``SqsQueue`` (Queue: SQS);
- ``idempotency``: ``PowertoolsIdempotency`` (Idempotency: Powertools on the table);
- ``clock``: ``SystemClock``;
- ``aws``: the boto3 clients, made on first use and cached, never at import.

Adapters may import the service layer's ports and errors; the service layer never imports
them. ``chalicelib.bootstrap`` wires them in.
"""
