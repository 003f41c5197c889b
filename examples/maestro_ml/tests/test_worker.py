import io
import os

import pytest

from maestro_ml.worker import encode_command, handle, parse_redis_url, read_reply


def test_parse_redis_url_with_password_and_db():
    cfg = parse_redis_url("redis://:s3cr%40t@cache.internal:6380/2")
    assert cfg == {"host": "cache.internal", "port": 6380, "password": "s3cr@t", "db": 2}


def test_resp_round_trip():
    assert encode_command("BLPOP", "maestro:jobs", "5") == (
        b"*3\r\n$5\r\nBLPOP\r\n$12\r\nmaestro:jobs\r\n$1\r\n5\r\n"
    )
    reply = io.BytesIO(b"*2\r\n$12\r\nmaestro:jobs\r\n$17\r\n{\"type\": \"noop\"}\r\n")
    assert read_reply(reply) == ["maestro:jobs", '{"type": "noop"}']


def test_unknown_job_type_is_dropped():
    seen = []
    assert handle({"type": "evaluate"}, {"evaluate": seen.append}) is True
    assert handle({"type": "reboot"}, {"evaluate": seen.append}) is False
    assert seen == [{"type": "evaluate"}]


@pytest.mark.integration
@pytest.mark.skipif("MAESTRO_TEST_REDIS_URL" not in os.environ,
                    reason="needs a running Redis (set MAESTRO_TEST_REDIS_URL)")
def test_queue_against_live_redis():
    from maestro_ml.worker import RedisQueue

    queue = RedisQueue(os.environ["MAESTRO_TEST_REDIS_URL"])
    assert queue.call("PING") == "PONG"
