"""`around_oldest`: a batch of similar length cut around the oldest text (pure)."""

from __future__ import annotations

import pytest

from codeindex.worker.backlog import Text, around_oldest


def window(tokens: list[int]) -> list[tuple[str, Text]]:
    """Texts oldest first, named by their position: t0 is the oldest."""
    return [(f"t{i}", Text(f"text {i}", 1, tokens=n)) for i, n in enumerate(tokens)]


@pytest.mark.parametrize(
    ("tokens", "size", "batch"),
    [
        pytest.param([], 4, [], id="empty"),
        pytest.param([5, 1, 9], 4, ["t1", "t0", "t2"], id="all-fit-sorted"),
        pytest.param([50, 1, 2, 3, 60, 70, 80], 2, ["t3", "t0"], id="oldest-in-the-middle"),
        pytest.param([1, 50, 60, 70, 80], 3, ["t0", "t1", "t2"], id="oldest-shortest"),
        pytest.param([99, 1, 2, 3, 4], 3, ["t3", "t4", "t0"], id="oldest-longest"),
    ],
)
def test_the_batch_holds_the_oldest_and_its_neighbours_in_length(
    tokens: list[int], size: int, batch: list[str]
) -> None:
    assert [h for h, _ in around_oldest(window(tokens), size)] == batch


def test_the_window_itself_keeps_its_order() -> None:
    texts = window([3, 1, 2])
    around_oldest(texts, 2)
    assert [h for h, _ in texts] == ["t0", "t1", "t2"]
