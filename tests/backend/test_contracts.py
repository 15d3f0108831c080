"""One contract per port, run against the fake (``fakes.py``) and the real adapter (on moto
in-process): whatever a unit test on the fake relies on, the real adapter does too, so the
fake cannot drift from what it stands for."""

from __future__ import annotations

import pytest

from chalicelib.bootstrap import bootstrap
from chalicelib.services.ports import (
    AlreadyRunning,
    Check,
    Cond,
    Delete,
    PayloadMismatch,
    Put,
    Update,
)

from .fakes import FakeIdempotency, FakeStore


@pytest.fixture(params=["fake", "dynamo"])
def store(request):
    """The fake store, and ``DynamoStore`` on moto."""
    if request.param == "fake":
        return FakeStore()
    request.getfixturevalue("aws")
    return bootstrap().store


@pytest.fixture(params=["fake", "powertools"])
def idempotency(request):
    """The fake idempotency, and ``PowertoolsIdempotency`` on moto."""
    if request.param == "fake":
        return FakeIdempotency()
    request.getfixturevalue("aws")
    return bootstrap().idempotency


# -- the store: items --------------------------------------------------------------------------


def test_an_item_comes_back_as_it_was_put_without_its_none_attributes(store):
    item = {"pk": "T#a", "sk": "X#1", "s": "é text", "i": 42, "f": 1.25, "t": True,
            "l": [1, "two", {"three": 3.5}], "m": {"k": "v", "n": None}, "gone": None,
            "empty": ""}
    assert store.put(item)
    got = store.get("T#a", "X#1")
    assert got == {k: v for k, v in item.items() if v is not None}
    assert store.get("T#a", "X#2") is None


def test_put_holds_each_kind_of_condition(store):
    base = {"pk": "T#a", "sk": "C#1", "status": "queued", "v": "0005"}
    assert not store.put(base, Cond(exists=True))  # nothing there yet
    assert store.put(base, Cond(absent=True))
    assert not store.put({**base, "status": "x"}, Cond(absent=True))
    assert not store.put({**base, "status": "x"}, Cond(equals={"status": "sent"}))
    assert store.put({**base, "status": "sent"}, Cond(equals={"status": "queued"}))
    assert not store.put(base, Cond(missing=("status",)))
    assert store.put({**base, "extra": 1}, Cond(exists=True, missing=("extra",)))
    assert not store.put(base, Cond(before=("v", "0004")))  # 0005 is not before 0004
    assert store.put({**base, "v": "0007"}, Cond(before=("v", "0006")))
    assert store.put({"pk": "T#a", "sk": "C#2"}, Cond(before=("v", "0001")))  # no v: holds
    assert store.get("T#a", "C#1") == {**base, "v": "0007"}


def test_get_many_returns_the_items_that_exist_among_any_number_of_keys(store):
    store.put_many({"pk": "T#a", "sk": f"R#{i:03d}", "n": i} for i in range(0, 150, 2))
    keys = [("T#a", f"R#{i:03d}") for i in range(150)] + [("T#a", "R#000")]
    got = store.get_many(keys)
    assert set(got) == {("T#a", f"R#{i:03d}") for i in range(0, 150, 2)}
    assert got[("T#a", "R#148")] == {"pk": "T#a", "sk": "R#148", "n": 148}


def test_put_many_writes_every_item_in_batches_and_counts_them(store):
    assert store.put_many({"pk": "T#a", "sk": f"R#{i:03d}"} for i in range(60)) == 60
    assert store.put_many([{"pk": "T#a", "sk": "R#000", "again": True}]) == 1
    assert len(store.query_all("T#a")) == 60
    assert store.get("T#a", "R#000")["again"] is True


def test_put_absent_writes_only_the_free_keys_and_returns_them_in_order(store):
    store.put({"pk": "T#a", "sk": "CLAIM#k2", "owner": "earlier"})
    items = [{"pk": "T#a", "sk": f"CLAIM#k{i}", "owner": "now"} for i in range(5)]
    assert [i["sk"] for i in store.put_absent(items)] == ["CLAIM#k0", "CLAIM#k1", "CLAIM#k3",
                                                         "CLAIM#k4"]
    assert store.get("T#a", "CLAIM#k2")["owner"] == "earlier"
    assert store.put_absent(items) == []


def test_update_sets_adds_and_removes_and_answers_the_item_after_it(store):
    store.put({"pk": "T#a", "sk": "B#1", "parts": 2, "note": "x", "old": 1})
    after = store.update(Update("T#a", "B#1", set={"note": "y", "old": None},
                                add={"count": 2, "parts_received": {1}}, remove=("parts",)))
    assert after == {"pk": "T#a", "sk": "B#1", "note": "y", "count": 2,
                     "parts_received": {1}}
    after = store.update(Update("T#a", "B#1", add={"count": 3, "parts_received": {1, 2}}))
    assert after["count"] == 5 and after["parts_received"] == {1, 2}
    assert store.get("T#a", "B#1") == after


def test_update_creates_a_missing_item_unless_its_condition_says_otherwise(store):
    assert store.update(Update("T#a", "P#1", set={"v": 1}, cond=Cond(exists=True))) is None
    assert store.get("T#a", "P#1") is None
    assert store.update(Update("T#a", "P#1", set={"v": 1})) == {"pk": "T#a", "sk": "P#1",
                                                                 "v": 1}
    assert store.update(Update("T#a", "P#1", set={"v": 2},
                               cond=Cond(equals={"v": 3}))) is None
    assert store.get("T#a", "P#1")["v"] == 1


def test_delete_holds_its_condition(store):
    store.put({"pk": "T#a", "sk": "CLAIM#k", "owner": "me"})
    assert not store.delete("T#a", "CLAIM#k", Cond(equals={"owner": "you"}))
    assert store.get("T#a", "CLAIM#k") is not None
    assert store.delete("T#a", "CLAIM#k", Cond(equals={"owner": "me"}))
    assert store.get("T#a", "CLAIM#k") is None
    assert not store.delete("T#a", "CLAIM#k", Cond(exists=True))
    assert store.delete("T#a", "CLAIM#k")  # unconditional: fine when nothing is there


def test_a_transaction_applies_all_of_its_operations_or_none(store):
    store.put({"pk": "T#a", "sk": "X#1", "v": 1})
    store.put({"pk": "T#a", "sk": "X#2", "v": 2})
    failing = [Put({"pk": "T#a", "sk": "X#3", "v": 3}, Cond(absent=True)),
               Update("T#a", "X#1", set={"v": 10}),
               Delete("T#a", "X#2", Cond(equals={"v": 99}))]
    assert store.transact(failing) is False
    assert store.get("T#a", "X#3") is None and store.get("T#a", "X#1")["v"] == 1
    passing = [Put({"pk": "T#a", "sk": "X#3", "v": 3}, Cond(absent=True)),
               Update("T#a", "X#1", set={"v": 10}, cond=Cond(equals={"v": 1})),
               Delete("T#a", "X#2", Cond(equals={"v": 2}))]
    assert store.transact(passing) is True
    assert [(i["sk"], i["v"]) for i in store.query_all("T#a")] == [("X#1", 10), ("X#3", 3)]


def test_a_transaction_holds_to_a_check_on_an_item_it_does_not_write(store):
    store.put({"pk": "T#a", "sk": "GONE#c", "at": "x"})
    put = Put({"pk": "T#a", "sk": "LINKS#c", "v": 1})
    assert store.transact([Check("T#a", "GONE#c", Cond(absent=True)), put]) is False
    assert store.get("T#a", "LINKS#c") is None
    assert store.transact([Check("T#a", "GONE#d", Cond(absent=True)), put]) is True
    assert store.get("T#a", "LINKS#c")["v"] == 1
    assert store.get("T#a", "GONE#d") is None  # a check writes nothing


# -- the store: queries ------------------------------------------------------------------------


def _rows(store, n: int = 12) -> None:
    store.put_many([{"pk": "T#a", "sk": f"R#{i:03d}", "n": i,
                     "gsi1pk": f"G#{i % 2}", "gsi1sk": f"{100 - i:03d}"} for i in range(n)]
                   + [{"pk": "T#a", "sk": "S#1"}, {"pk": "T#b", "sk": "R#000"}])


def test_a_query_reads_one_partition_in_sort_key_order_by_prefix_or_range(store):
    _rows(store)
    items, last = store.query("T#a", prefix="R#")
    assert [i["n"] for i in items] == list(range(12)) and last is None
    items, _ = store.query("T#a", start="R#003", end="R#005")
    assert [i["sk"] for i in items] == ["R#003", "R#004", "R#005"]
    assert [i["sk"] for i in store.query("T#a")[0]][-1] == "S#1"
    assert store.query("T#none") == ([], None)


def test_a_query_pages_with_the_key_it_answers(store):
    _rows(store)
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        items, after = store.query("T#a", prefix="R#", limit=5, after=after)
        seen.extend(i["n"] for i in items)
        pages += 1
        if after is None:
            break
        assert set(after) == {"pk", "sk"}
    assert seen == list(range(12)) and pages == 3


def test_a_full_last_page_answers_a_key_whose_next_page_is_empty(store):
    _rows(store)
    items, last = store.query("T#a", prefix="R#", limit=6)
    items, last = store.query("T#a", prefix="R#", limit=6, after=last)
    assert [i["n"] for i in items] == list(range(6, 12)) and last == {"pk": "T#a",
                                                                      "sk": "R#011"}
    assert store.query("T#a", prefix="R#", limit=6, after=last) == ([], None)


def test_an_index_query_reads_gsi1_in_its_sort_key_order_and_pages_with_its_keys(store):
    _rows(store)
    items, last = store.query("G#0", index=True)
    assert [i["n"] for i in items] == [10, 8, 6, 4, 2, 0] and last is None
    items, last = store.query("G#1", index=True, limit=2)
    assert [i["n"] for i in items] == [11, 9]
    assert set(last) == {"pk", "sk", "gsi1pk", "gsi1sk"}
    rest, _ = store.query("G#1", index=True, after=last)
    assert [i["n"] for i in rest] == [7, 5, 3, 1]
    assert [i["n"] for i in store.query_all("G#1", index=True, limit=4)] == [11, 9, 7, 5, 3, 1]


def test_a_query_for_some_attributes_answers_those_and_the_keys(store):
    store.put({"pk": "T#a", "sk": "R#1", "a": 1, "b": 2, "gsi1pk": "G", "gsi1sk": "1"})
    items, _ = store.query("T#a", attrs=["a"])
    assert items == [{"pk": "T#a", "sk": "R#1", "a": 1}]
    items, _ = store.query("G", index=True, attrs=["b"])
    assert items == [{"pk": "T#a", "sk": "R#1", "gsi1pk": "G", "gsi1sk": "1", "b": 2}]


# -- the store: blobs --------------------------------------------------------------------------


def test_blobs_are_stored_sized_listed_and_deleted(store):
    assert store.get_blob("t/none.json") is None and store.blob_size("t/none.json") is None
    store.put_blob("t/snapshots/2.json", b'{"b": 2}')
    store.put_blob("t/snapshots/1.json", b'{"a": 1}', transient=True)
    store.put_blob("t/scores/1.json", b"{}")
    assert store.get_blob("t/snapshots/1.json") == b'{"a": 1}'
    assert store.blob_size("t/snapshots/2.json") == 8
    assert store.list_blobs("t/snapshots/") == ["t/snapshots/1.json", "t/snapshots/2.json"]
    store.delete_blob("t/snapshots/1.json")
    store.delete_blob("t/snapshots/1.json")  # gone already: fine
    assert store.list_blobs("t/") == ["t/scores/1.json", "t/snapshots/2.json"]


def test_a_presigned_upload_is_a_url_and_the_headers_to_send(store):
    url, headers = store.presign_put("t/snapshots/9.json", 900)
    assert url.startswith("https://") and "t/snapshots/9.json" in url
    assert headers == {"Content-Type": "application/json"}


# -- idempotency -------------------------------------------------------------------------------


def _counting():
    calls: list[int] = []

    def fn() -> dict:
        calls.append(1)
        return {"accepted": True, "n": len(calls)}

    return fn, calls


def test_a_key_runs_once_and_a_repeat_gets_the_recorded_result(idempotency):
    fn, calls = _counting()
    first = idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fn)
    again = idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fn)
    assert first == again == {"accepted": True, "n": 1} and len(calls) == 1


def test_another_key_scope_or_operation_runs_again(idempotency):
    fn, calls = _counting()
    idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fn)
    idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 2), "d1", fn)
    idempotency.once("T#b#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fn)
    idempotency.once("T#a#IDEMPOTENCY", "other", ("a", "b-1", 1), "d1", fn)
    assert len(calls) == 4


def test_the_same_key_with_another_payload_is_refused(idempotency):
    fn, calls = _counting()
    idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fn)
    with pytest.raises(PayloadMismatch):
        idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d2", fn)
    assert len(calls) == 1


def test_a_key_still_running_is_refused_and_a_mismatch_is_named_first(idempotency):
    seen: list[type] = []

    def outer() -> dict:
        for digest in ("d1", "d2"):
            try:
                idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), digest,
                                 lambda: {"inner": True})
            except (AlreadyRunning, PayloadMismatch) as exc:
                seen.append(type(exc))
        return {"outer": True}

    assert idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1",
                            outer) == {"outer": True}
    assert seen == [AlreadyRunning, PayloadMismatch]


def test_a_call_that_raises_leaves_no_record(idempotency):
    def fails() -> dict:
        raise RuntimeError("storage down")

    with pytest.raises(RuntimeError, match="storage down"):
        idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d1", fails)
    fn, calls = _counting()  # and the same key with another payload is not a mismatch
    assert idempotency.once("T#a#IDEMPOTENCY", "batch-part", ("a", "b-1", 1), "d2", fn) == {
        "accepted": True, "n": 1}
    assert calls == [1]
