"""`EmbeddingHealth`: whether the worker may embed, and when it tries again (pure, no I/O).

The clock is a fake one the tests move by hand.
"""

from __future__ import annotations

import pytest

from codeindex.errors import (
    CodeIndexError,
    EngineUnavailable,
    ModelUnavailable,
    VectorsDamaged,
    VectorStoreUnavailable,
    from_dict,
)
from codeindex.lsp.error_codes import code_of
from codeindex.worker.health import (
    ENGINE_RETRY_CAP,
    ENGINE_RETRY_FIRST,
    STORE_RETRY_SECONDS,
    EmbeddingHealth,
    Health,
)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def engine_down() -> EngineUnavailable:
    return EngineUnavailable(
        "remote engine http://e/embeddings unreachable", "start it", "http://e", "unreachable"
    )


def no_model() -> ModelUnavailable:
    return ModelUnavailable("model m is not downloaded", "set embedding.model_path")


def store_down() -> VectorStoreUnavailable:
    return VectorStoreUnavailable("the bucket b does not exist: create it")


FAILURES = {
    "engine": engine_down,
    "model": no_model,
    "store": store_down,
}


def health_in(state: str, clock: Clock) -> EmbeddingHealth:
    """A health object put in `state` ("ready" or a key of FAILURES) at `clock.now`."""
    health = EmbeddingHealth(clock)
    if state != "ready":
        health.failed(FAILURES[state]())
    return health


@pytest.fixture
def clock() -> Clock:
    return Clock()


# ---- where a failure leads -------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "state", "can_embed", "may_load"),
    [
        pytest.param(None, Health.READY, True, True, id="nothing-failed"),
        pytest.param("engine", Health.ENGINE_DOWN, False, False, id="engine-down"),
        pytest.param("model", Health.NO_MODEL, False, False, id="no-model"),
        pytest.param("store", Health.STORE_DOWN, False, False, id="store-down"),
    ],
)
def test_a_failure_sets_the_state(
    clock: Clock, failure: str | None, state: Health, can_embed: bool, may_load: bool
) -> None:
    health = health_in(failure or "ready", clock)
    assert health.state is state
    assert health.can_embed() is can_embed
    assert health.may_load() is may_load


@pytest.mark.parametrize(
    ("before", "failure", "after"),
    [
        pytest.param("engine", "model", Health.NO_MODEL, id="probe-finds-engine-wrong"),
        pytest.param("model", "engine", Health.ENGINE_DOWN, id="load-finds-engine-down"),
        pytest.param("store", "model", Health.NO_MODEL, id="retried-load-finds-no-model"),
        pytest.param("store", "engine", Health.ENGINE_DOWN, id="retried-load-finds-engine-down"),
        pytest.param("store", "store", Health.STORE_DOWN, id="store-still-down"),
        pytest.param("engine", "engine", Health.ENGINE_DOWN, id="engine-still-down"),
    ],
)
def test_the_latest_failure_decides(clock: Clock, before: str, failure: str, after: Health) -> None:
    health = health_in(before, clock)
    exc = FAILURES[failure]()
    health.failed(exc)
    assert health.state is after
    assert health.error is exc


@pytest.mark.parametrize("state", ["engine", "model", "store", "ready"])
def test_recovered_is_ready_from_any_state(clock: Clock, state: str) -> None:
    health = health_in(state, clock)
    health.recovered()
    assert health.state is Health.READY
    assert health.error is None and health.backoff == 0.0
    assert health.can_embed() and health.may_load() and not health.probe_due()


# ---- the shared store: tried again after a while ----------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "may_load"),
    [
        pytest.param(0.0, False, id="at-once"),
        pytest.param(STORE_RETRY_SECONDS - 0.1, False, id="just-before"),
        pytest.param(STORE_RETRY_SECONDS, True, id="when-due"),
        pytest.param(STORE_RETRY_SECONDS * 10, True, id="long-after"),
    ],
)
def test_a_store_outage_is_tried_again_after_its_wait(
    clock: Clock, elapsed: float, may_load: bool
) -> None:
    health = health_in("store", clock)
    clock.now += elapsed
    assert health.may_load() is may_load
    assert not health.can_embed()  # loading comes first: texts wait for the table
    assert not health.probe_due()  # no engine to probe


def test_a_store_that_fails_again_waits_again(clock: Clock) -> None:
    health = health_in("store", clock)
    clock.now += STORE_RETRY_SECONDS
    health.failed(store_down())
    assert not health.may_load()
    clock.now += STORE_RETRY_SECONDS
    assert health.may_load()


@pytest.mark.parametrize("elapsed", [0.0, STORE_RETRY_SECONDS, ENGINE_RETRY_CAP * 100])
def test_a_model_that_cannot_load_is_not_tried_again(clock: Clock, elapsed: float) -> None:
    health = health_in("model", clock)
    clock.now += elapsed
    assert not health.may_load() and not health.probe_due() and not health.can_embed()


# ---- the engine: probed again, backing off ------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "backoff"),
    [
        pytest.param(1, ENGINE_RETRY_FIRST, id="first"),
        pytest.param(2, ENGINE_RETRY_FIRST * 2, id="doubles"),
        pytest.param(3, ENGINE_RETRY_FIRST * 4, id="doubles-again"),
        pytest.param(8, ENGINE_RETRY_FIRST * 128, id="still-below-cap"),
        pytest.param(9, ENGINE_RETRY_CAP, id="capped"),
        pytest.param(30, ENGINE_RETRY_CAP, id="stays-capped"),
    ],
)
def test_engine_backoff_doubles_up_to_its_cap(clock: Clock, failures: int, backoff: float) -> None:
    health = EmbeddingHealth(clock)
    for _ in range(failures):
        health.failed(engine_down())
    assert health.backoff == backoff
    assert health.retry_at == clock.now + backoff


@pytest.mark.parametrize(
    ("elapsed", "due"),
    [
        pytest.param(0.0, False, id="at-once"),
        pytest.param(ENGINE_RETRY_FIRST - 0.01, False, id="just-before"),
        pytest.param(ENGINE_RETRY_FIRST, True, id="when-due"),
    ],
)
def test_the_engine_is_probed_when_its_wait_is_over(
    clock: Clock, elapsed: float, due: bool
) -> None:
    health = health_in("engine", clock)
    clock.now += elapsed
    assert health.probe_due() is due
    assert not health.may_load() and not health.can_embed()


def test_the_backoff_starts_over_after_the_engine_answered(clock: Clock) -> None:
    health = EmbeddingHealth(clock)
    for _ in range(5):
        health.failed(engine_down())
    health.recovered()
    health.failed(engine_down())
    assert health.backoff == ENGINE_RETRY_FIRST


@pytest.mark.parametrize(
    ("state", "backoff"),
    [
        pytest.param("engine", ENGINE_RETRY_FIRST * 2, id="engine-down-backs-off"),
        pytest.param("ready", 0.0, id="ready-unchanged"),
        pytest.param("model", 0.0, id="no-model-unchanged"),
        pytest.param("store", 0.0, id="store-down-unchanged"),
    ],
)
def test_another_exception_only_backs_off_a_down_engine(
    clock: Clock, state: str, backoff: float
) -> None:
    health = health_in(state, clock)
    before = health.state
    health.failed(RuntimeError("the probe broke"))
    assert health.state is before
    assert health.backoff == backoff


def test_a_model_failure_ends_the_engine_backoff(clock: Clock) -> None:
    health = health_in("engine", clock)
    health.failed(no_model())
    assert health.backoff == 0.0 and not health.probe_due()


# ---- what items and status are told ------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        pytest.param(
            "engine",
            "embeddings pending: remote engine http://e/embeddings unreachable",
            id="engine",
        ),
        pytest.param("model", "embedding model unavailable: model m is not downloaded", id="model"),
        pytest.param(
            "store", "vectors unavailable: the bucket b does not exist: create it", id="store"
        ),
        pytest.param("ready", "embedding model unavailable: no model", id="ready-no-model"),
    ],
)
def test_the_reason_says_why_embeddings_are_pending(clock: Clock, state: str, reason: str) -> None:
    assert health_in(state, clock).reason() == reason


# ---- an outage is not damage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "other"),
    [
        pytest.param(VectorStoreUnavailable, VectorsDamaged, id="outage-is-not-damage"),
        pytest.param(VectorsDamaged, VectorStoreUnavailable, id="damage-is-not-outage"),
    ],
)
def test_store_outage_and_damaged_vectors_are_siblings(
    kind: type[CodeIndexError], other: type[CodeIndexError]
) -> None:
    assert issubclass(kind, CodeIndexError) and not issubclass(kind, other)
    error = kind("why")
    assert isinstance(from_dict(error.to_dict()), kind)
    # the language server's code for both (JSON-RPC codes live in lsp.error_codes)
    assert (error.exit_code, code_of(error)) == (3, -31006)
