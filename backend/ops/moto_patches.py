"""The fixes the local emulator makes to moto, in the emulator's process only (the app has no
code path of its own for moto). Each patch reaches into moto's internals, so each says why it
exists, and ``check_version()`` refuses any moto outside the range they were written and
checked against (``SUPPORTED``; pyproject's pin of ``moto[server]`` is the same range). None
changes an answer: ``tests/e2e/test_emulator.py`` compares the emulator's answers, errors
included, with moto as it ships.

To move to another moto: read each patched function in that version's source, adjust the
patch, run ``tests/e2e/test_emulator.py`` and the backend's end-to-end tests, then widen
``SUPPORTED`` and the pin together.
"""

from __future__ import annotations

import re
import threading

SUPPORTED = ("5.2.5", "5.3")  # at least the first, below the second (pyproject: the same)


class MotoVersionError(RuntimeError):
    pass


def _numbers(version: str) -> tuple[int, ...]:
    """The release numbers of a version (``5.2.6.dev1`` -> ``(5, 2, 6)``)."""
    m = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(p) for p in m[0].split(".")) if m else ()


def check_version(version: str | None = None) -> str:
    """The installed moto's version, if the patches were written for it; else a
    ``MotoVersionError`` that names it."""
    if version is None:
        import moto

        version = moto.__version__
    low, high = SUPPORTED
    if not _numbers(low) <= _numbers(version) < _numbers(high):
        raise MotoVersionError(
            f"the local emulator's patches to moto (backend/ops/moto_patches.py) were written "
            f"for moto >={low},<{high}, and moto {version} is installed: install a moto in "
            f"that range (pip install 'moto[server]>={low},<{high}'), or check each patch "
            f"against moto {version} and widen SUPPORTED and pyproject's pin together")
    return version


def apply() -> str:
    """Every patch, after the version check; the moto version patched."""
    version = check_version()
    transactions_without_table_copies()
    partition_queries()
    plain_attribute_values()
    item_size_once()
    lock_dynamodb()  # last: it wraps the backend's methods as the patches above left them
    cache_module_list()
    fewer_collections()
    return version


def lock_dynamodb() -> None:
    """moto serves requests on threads, but its DynamoDB backend is not thread-safe: a query
    iterating a table while another request writes to it fails with "dictionary changed size
    during iteration" (a 500 to the app). Every public method of the backend holds one lock."""
    import functools
    import inspect

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with lock:
                return fn(*a, **kw)
        return wrapper

    for name, fn in list(vars(DynamoDBBackend).items()):
        if not name.startswith("_") and inspect.isfunction(fn):
            setattr(DynamoDBBackend, name, locked(fn))


def transactions_without_table_copies() -> None:
    """moto's ``TransactWriteItems`` deep-copies every table it touches to be able to roll
    back: each transaction cost as much as the whole table (the send worker claims its keys in
    transactions, so sending slowed down as the table grew). Here it checks every condition
    first, then applies, keeping copies of only the items it changes: all or nothing, as
    DynamoDB does, with the same errors and cancellation reasons."""
    import copy

    from moto.dynamodb import exceptions as ex
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.models import DynamoDBBackend

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


def partition_queries() -> None:
    """moto sorts the whole table to find a query's partition: at 40,000 items a batch's
    status poll took a second, holding the lock. A table query looks at its partition only; an
    index query looks at every item, unsorted (moto sorts what matches by the index's keys
    anyway). Runs under the DynamoDB lock, so the items handed over cannot change
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
    """moto lists its own package folder on every request to route it (about 1 ms a
    request); the list is read once."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
