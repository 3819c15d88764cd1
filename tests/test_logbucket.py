"""Finished logs in a real S3 bucket (tests/s3/setup.sh): round trips by position, moves, reads, failures."""
from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from circle.errors import LogStoreError
from circle.logbucket import LogBucket
from circle.logstream import PAGE, LogStream
from circle.pubsub import PubSub
from circle.s3 import S3Client
from circle.store import builds
from circle.store import logs as log_store
from circle.store.logbatch import Batch, pack, parse
from dbtools import has_object, make_workflow


def _lines(start: int, stop: int) -> list[tuple[int, int, str]]:
    """Return (pos, 0, "line pos") for pos in start…stop-1."""
    return [(pos, 0, f"line {pos}") for pos in range(start, stop)]


def _elsewhere(bucket: LogBucket, **changes: str) -> LogBucket:
    """Return a store like `bucket` whose connection differs by `changes` (endpoint, keys, bucket name)."""
    return LogBucket(S3Client(replace(bucket.client.bucket, **changes)), bucket.prefix)


@pytest.fixture
def step(app) -> int:
    """The proc id of a step of a fresh build."""
    build_id, _ = make_workflow()
    return builds.get_proc_by_pid(build_id, 2).id


def test_an_object_gives_back_its_batches_from_any_position(log_bucket: LogBucket):
    """A written object gives back its batches from any position; no batches make no object; delete removes it."""
    batches = [Batch(pos, pos + 9, pack(_lines(pos, pos + 10))) for pos in range(0, 50, 10)]
    assert log_bucket.write(7, batches) is True
    assert list(log_bucket.batches(7)) == batches
    assert [b.pos for b in log_bucket.batches(7, after=25)] == [20, 30, 40]
    assert [b.pos for b in log_bucket.batches(7, after=29)] == [30, 40]
    assert list(log_bucket.batches(7, after=49)) == [] and list(log_bucket.batches(8)) == []
    assert list(log_bucket.batches(7, after=5, lines=12)) == batches  # read 12 positions' worth at a time
    assert log_bucket.write(9, []) is False and not has_object(log_bucket, 9)
    assert log_bucket.where(7) == f"s3://{log_bucket.client.bucket.name}/{log_bucket.prefix}7.logz"
    log_bucket.delete(7)
    log_bucket.delete(7)
    assert list(log_bucket.batches(7)) == [] and not has_object(log_bucket, 7)


def test_a_read_stopped_after_one_batch_closes_and_the_next_starts_where_asked(log_bucket: LogBucket):
    """Taking one batch of a long object and closing the reader ends that read; a read near the end gets the end."""
    batches = [Batch(pos, pos, pack([(pos, 0, "x" * 10_000)])) for pos in range(300)]
    log_bucket.write(1, batches)
    reader = log_bucket.batches(1, after=10)
    assert next(reader).pos == 11
    reader.close()
    assert [b.pos for b in log_bucket.batches(1, after=297)] == [298, 299]
    gaps = [Batch(pos, pos + 9, pack(_lines(pos, pos + 10))) for pos in (0, 100, 1000)]
    log_bucket.write(2, gaps)
    assert list(log_bucket.batches(2, after=3, lines=5)) == gaps  # positions an agent skipped end no read early


def test_an_index_longer_than_the_first_read_is_read_whole(log_bucket: LogBucket):
    """An object whose index is over TAIL bytes (3 000 batches) still reads from any position."""
    batches = [Batch(pos, pos, pack([(pos, 0, "x")])) for pos in range(3000)]
    log_bucket.write(3, batches)
    assert [b.pos for b in log_bucket.batches(3, after=2995)] == [2996, 2997, 2998, 2999]
    assert list(log_bucket.batches(3, lines=1000)) == batches


def test_a_finished_log_moves_to_the_bucket_and_reads_the_same(step, log_bucket: LogBucket):
    """close() moves the batches to an object; pages, whole reads and tails read it; forget deletes it."""
    stream = LogStream(PubSub(), files=log_bucket)
    total = PAGE + 120
    for start in range(0, total, 250):
        stream.write(step, _lines(start, min(start + 250, total)))
    stream.close(step)
    assert log_store.list_page(step, limit=10) == [] and has_object(log_bucket, step)
    page = [line for piece in stream.pieces(step, after=30, limit=7) for line in parse(piece)]
    assert [line[0] for line in page] == list(range(31, 38))
    assert json.loads(stream.page_json(step, after=PAGE, limit=3)) == [
        {"pos": pos, "time": 0, "out": f"line {pos}"} for pos in range(PAGE + 1, PAGE + 4)]
    assert [line[2] for page in stream.pages(step) for line in page] == [f"line {pos}" for pos in range(total)]
    tailed = [line["pos"] for message in stream.tail(step, lambda: True)
              for line in json.loads(message).get("lines", ())]
    assert tailed == list(range(total))
    stream.forget([step])
    assert not has_object(log_bucket, step)


def test_a_bucket_that_is_down_leaves_the_log_in_the_database(step, down_bucket: LogBucket, caplog):
    """With the bucket down a finished log stays readable in the database; the warning names the bucket."""
    stream = LogStream(PubSub(), files=down_bucket)
    stream.write(step, _lines(0, 5))
    with caplog.at_level(logging.WARNING, logger="circle.logstream"):
        stream.close(step)
    assert f"proc {step}: log stays in the database: the log bucket 'circle-test' at http://127.0.0.1:" in caplog.text
    assert len(log_store.list_page(step, limit=10)) == 5
    with pytest.raises(LogStoreError) as raised:
        stream.page_json(step)
    endpoint = down_bucket.client.bucket.endpoint
    assert str(raised.value) == f"the log bucket 'circle-test' at {endpoint} did not answer (ConnectionError)"


@pytest.mark.parametrize(("changes", "code"), [
    ({"secret_key": "not-the-secret"}, "403 SignatureDoesNotMatch"),
    ({"access_key": "nobody-knows-me"}, "403 InvalidAccessKeyId"),
    ({"name": "circle-no-such-bucket"}, "404 NoSuchBucket"),
])
def test_a_refusing_bucket_is_one_sentence_without_the_keys(log_bucket: LogBucket, changes, code):
    """Wrong keys or a missing bucket raise LogStoreError naming the bucket and S3's code, never the secret."""
    store = _elsewhere(log_bucket, **changes)
    with pytest.raises(LogStoreError) as raised:
        store.write(3, [Batch(0, 0, pack(_lines(0, 1)))])
    message, bucket = str(raised.value), store.client.bucket
    assert message == f"the log bucket {bucket.name!r} at {bucket.endpoint} answered {code} to PUT {store.key(3)}"
    assert bucket.secret_key not in message and bucket.secret_key not in repr(bucket)
    with pytest.raises(LogStoreError, match=code):
        list(store.batches(3))
