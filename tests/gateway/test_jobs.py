"""The per-contact lock: one holder at a time, a re-check after release, and a lost lock ends quietly."""

from __future__ import annotations

import logging

import pytest

from bot.gateway.context import Gateway, GatewayConfig
from bot.gateway.jobs import drain
from tests.gateway.conftest import redis_client


@pytest.fixture
def bare(redis_prefix):  # type: ignore[no-untyped-def]
    conn = redis_client()
    yield Gateway(factory=None, redis=conn, dialogue=None, channels={}, config=GatewayConfig(redis_prefix=redis_prefix, lock_seconds=5))  # type: ignore[arg-type]
    conn.close()


@pytest.mark.parametrize(
    "label, work, held_by_other, expect_steps",
    [
        ("drains until nothing is due", [True, True, False], False, 3),
        ("leaves when another worker holds the lock", [True], True, 0),
        ("goes round again when work arrived during the release", [False, True, False], False, 3),
    ],
)
def test_drain(label, work, held_by_other, expect_steps, bare):  # type: ignore[no-untyped-def]
    key = bare.key("lock", "in", 1)
    if held_by_other:
        bare.redis.set(key, "someone-else", ex=5)
    plan = list(work)
    steps: list[int] = []

    def step() -> bool:
        steps.append(1)
        return plan.pop(0) if plan else False

    due_after_release = iter([True, False]) if label.startswith("goes round") else iter([False])
    drain(bare, "in", 1, step, lambda: next(due_after_release, False))
    assert len(steps) == expect_steps
    assert (bare.redis.get(key) is not None) is held_by_other  # released unless it was never ours


def test_a_lost_lock_ends_the_drain_with_a_warning(bare, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    steps: list[int] = []

    def step() -> bool:
        steps.append(1)
        bare.redis.delete(bare.key("lock", "out", 2))  # it expired while the step ran
        return True

    drain(bare, "out", 2, step, lambda: True)
    assert steps == [1]
    assert "lock of contact 2 expired" in caplog.text
