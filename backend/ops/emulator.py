"""The AWS emulator as a child process: moto's server on 127.0.0.1, on a free port.

Run as ``python -m backend.ops.emulator``. It prints one JSON line ``{"endpoint": URL}`` once
it listens, and runs until its standard input closes (the parent ended, however it ended) or
it gets SIGTERM/SIGINT. A separate process, so moto's CPU does not share the app's GIL.

moto, with fixes in this process only (the app has no code path of its own for it); none
changes an answer (``tests/e2e/test_emulator.py`` compares them with moto as it ships):

- thread safety: moto serves requests on threads but its DynamoDB backend is not thread-safe
  (a query iterating a table while another request writes to it fails with "dictionary
  changed size during iteration", a 500); here every DynamoDB call holds one lock;
- ``TransactWriteItems`` deep-copies every table it touches to be able to roll back (each
  transaction cost as much as the whole table); here it checks every condition first, then
  applies, keeping copies of only the items it changes (all or nothing, as DynamoDB does);
- a table ``Query`` reads only its partition, where moto sorts the whole table to find it (at
  40,000 items, a status poll took a second, holding the lock); an index query still reads
  every item, but no longer sorts the table first;
- scalar attribute values skip moto's generic request parser and response serializer, which
  try every member of ``AttributeValue`` on every attribute (a page of 1,000 items: 1 s, now
  0.2 s);
- a new item's size (the 400 KB limit) is kept as a running total while it is built, where
  moto adds up every attribute again each time it sets one (three quarters of the cost of a
  put);
- moto lists its own package folder on every request to route it (about 1 ms each); the list
  is read once; and the cyclic garbage collector runs less often (``fewer_collections``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading


def harden_dynamodb() -> None:
    import copy
    import functools
    import inspect

    from moto.dynamodb import exceptions as ex
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with lock:
                return fn(*a, **kw)
        return wrapper

    def transact_write_items(self, transact_items):
        if len(transact_items) > 100:
            raise ex.TooManyTransactionsException()
        seen: set[tuple[str, str]] = set()
        plan = []
        errors: list = []
        for item in transact_items:  # 1. every condition, nothing written
            if len(item) > 1:
                raise ex.TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ex.MockValidationException("Unsupported transaction operation")
            table_name = op["TableName"]
            table = self.get_table(table_name)
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            ident = (table_name, str(dict(sorted(key.items()))))
            if ident in seen:
                raise ex.MultipleTransactionsException()
            seen.add(ident)
            current = self.get_item(table_name, key)
            cond = op.get("ConditionExpression")
            if cond is not None and not get_filter_expression(
                    cond, op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues")).expr(current):
                old = (current.to_json()["Attributes"] if current and op.get(
                    "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None)
                errors.append(("ConditionalCheckFailed", "The conditional request failed",
                               old))
                continue
            errors.append((None, None, None))
            plan.append((op_type, op, table_name, key,
                         copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        if any(code is not None for code, _, _ in errors):
            raise ex.TransactionCanceledException(errors)
        done = []
        try:  # 2. apply; undo what was applied if one fails
            for op_type, op, table_name, key, before in plan:
                names, values = op.get("ExpressionAttributeNames"), op.get(
                    "ExpressionAttributeValues")
                if op_type == "Put":
                    self.put_item(table_name, op["Item"], expression_attribute_names=names,
                                  expression_attribute_values=values)
                elif op_type == "Delete":
                    self.delete_item(table_name, key)
                elif op_type == "Update":
                    self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                     expression_attribute_names=names,
                                     expression_attribute_values=values)
                else:
                    continue
                done.append((table_name, key, before))
        except Exception:
            for table_name, key, before in reversed(done):
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, before)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items
    partition_queries()
    plain_attribute_values()
    item_size_once()
    for name, fn in list(vars(DynamoDBBackend).items()):
        if not name.startswith("_") and inspect.isfunction(fn):
            setattr(DynamoDBBackend, name, locked(fn))


def partition_queries() -> None:
    """A table query looks at its partition only (moto sorts every item of the table to find
    it); an index query looks at every item, unsorted (moto sorts what matches by the index's
    keys anyway). Runs under the DynamoDB lock, so the items handed over cannot change
    meanwhile."""
    import inspect

    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)
    handed = threading.local()  # (table, items) for the query running on this thread

    def partition_query(self, *a, **kw):
        args = signature.bind(self, *a, **kw).arguments
        hash_key = args.get("hash_key")
        if self.range_key_attr is None:
            return query(self, *a, **kw)
        if args.get("index_name"):  # every item, but not sorted: moto sorts what it finds
            items = [i for part in self.items.values() for i in part.values()]
        elif hash_key is not None:
            items = list(self.items.get(hash_key, {}).values())
        else:
            return query(self, *a, **kw)
        handed.items = (self, items)
        try:
            return query(self, *a, **kw)
        finally:
            handed.items = None

    def items_to_search(self):
        mine = getattr(handed, "items", None)
        return mine[1] if mine is not None and mine[0] is self else all_items(self)

    Table.query = partition_query
    Table.all_items = items_to_search


def plain_attribute_values() -> None:
    """moto reads every DynamoDB request and writes every response through a generic,
    model-driven parser and serializer that try each of the ten members of ``AttributeValue``
    on every attribute of every item (about 1 ms an item out: a page of 1,000 reminders took
    a second). A scalar attribute value (``S``, ``N``, ``BOOL``, ``NULL``) is in the wire
    format already: it is taken and written as it is. Maps, lists, sets and binary values take
    moto's own path."""
    from moto.core.serialize import BaseJSONSerializer

    structure = BaseJSONSerializer._serialize_type_structure
    scalar = {"S": str, "N": str, "BOOL": bool, "NULL": bool}

    def serialize_structure(self, serialized, value, shape, key):
        if (key and shape.name == "AttributeValue" and isinstance(value, dict)
                and len(value) == 1):
            (kind, v), = value.items()
            if isinstance(v, scalar.get(kind, ())):
                serialized[key] = {kind: v}
                return
        structure(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure

    from moto.core.parse import BaseJSONParser

    parse = BaseJSONParser._parse_structure

    def parse_structure(self, shape, value):
        if shape.name == "AttributeValue" and isinstance(value, dict) and len(value) == 1:
            (kind, v), = value.items()
            if isinstance(v, scalar.get(kind, ())):
                return {kind: v}
        return parse(self, shape, value)

    BaseJSONParser._parse_structure = parse_structure


def item_size_once() -> None:
    """moto checks DynamoDB's 400 KB item limit by adding up the sizes of every attribute
    already set each time it sets one (quadratic: three quarters of the cost of a put). A new
    item is built here with a running total instead: the same check, in the same order, with
    the same error; changes to an existing item take moto's own path."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def item_init(self, hash_key, range_key, attrs):
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = LimitedSizeDict()
        total = 0
        for key, value in attrs.items():
            value = DynamoType(value)
            size = bytesize(key) + value.size()
            if total + size > 405000:  # moto's limit: between what DynamoDB states and takes
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, value)
            total += size

    Item.__init__ = item_init


def fewer_collections() -> None:
    """moto keeps every item, message and queue entry alive for the life of the process; with
    Python's default thresholds the cyclic collector walks all of them again every few
    thousand allocations (a DynamoDB call allocates hundreds). Collect less often: memory is
    freed by reference counting anyway, the collector only finds cycles."""
    import gc

    gc.set_threshold(100_000, 50, 1000)


def cache_module_list() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def main() -> int:
    # moto must never see real credentials, whatever the operator's shell holds
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_SESSION_TOKEN="testing")
    os.environ.pop("AWS_PROFILE", None)
    import logging

    from moto.server import ThreadedMotoServer

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s moto %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    harden_dynamodb()
    cache_module_list()
    fewer_collections()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    sys.stdout.write(json.dumps({"endpoint": f"http://{host}:{port}"}) + "\n")
    sys.stdout.flush()

    def watch_stdin() -> None:
        try:
            while sys.stdin.read(65536):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
