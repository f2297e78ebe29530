"""How fast this machine works and what work left costs (`tasks.speeds`): pure."""

from __future__ import annotations

import pytest

from codeindex.tasks.speeds import (
    ADAPT_SECONDS,
    ALL,
    ITEM_BYTES,
    Rate,
    Speeds,
    Work,
    cost_class,
)


def test_a_rate_follows_what_was_measured_last() -> None:
    rate = Rate.prior(1_000.0, 1.0)
    for _ in range(int(3 * ADAPT_SECONDS)):
        rate.observe(100.0, 1.0)  # 100 a second, for 30 s
    assert rate.value == pytest.approx(100.0, rel=0.1)


def test_a_machine_that_gets_busy_is_seen_within_seconds_of_work() -> None:
    rate = Rate.prior(300.0, 1.0)
    for _ in range(60):
        rate.observe(300.0, 1.0)  # a minute at 300 a second
    for _ in range(int(2 * ADAPT_SECONDS)):
        rate.observe(100.0, 1.0)  # then three times slower
    assert rate.value == pytest.approx(100.0, rel=0.3)


def test_work_costs_its_bytes_and_what_it_leaves_to_embed() -> None:
    speeds = Speeds()
    speeds.indexed({"python": 2_000_000.0}, 1.0)  # 2 MB/s for python
    speeds.embedded("m", 30_000.0, 1.0)  # 30k characters a second
    work = Work()
    work.add_items("python", 2, 2_000_000.0 - 2 * ITEM_BYTES)
    work.embed_chars = 60_000.0
    assert speeds.seconds(work, None) == pytest.approx(1.0, rel=0.01)
    assert speeds.seconds(work, "m") == pytest.approx(3.0, rel=0.01)


def test_new_files_are_expected_to_embed_what_their_language_gave_so_far() -> None:
    speeds = Speeds()
    speeds.parsed("go", 5_000.0, 10_000.0)  # half a character a byte
    speeds.embedded("m", 1_000.0, 1.0)
    work = Work()
    work.add_unknown("go", 4_000.0)
    work.add_unknown("rust", 1_000.0)  # not seen yet: the rate of every language
    assert speeds.embed_chars(work) == pytest.approx(2_500.0, rel=0.05)


def test_an_unmeasured_language_parses_at_the_speed_of_all_languages() -> None:
    speeds = Speeds()
    speeds.indexed({"python": 1_000.0}, 1.0)
    assert speeds.index_rate("haskell") is speeds.index[ALL]


def test_cost_classes() -> None:
    assert [cost_class(a, "python") for a in ("index", "embed", "delete")] == [
        "python",
        "embed",
        "delete",
    ]
    assert cost_class("index", None) == "text"


def test_the_speeds_persisted_are_those_measured() -> None:
    speeds = Speeds()
    speeds.indexed({"python": 3_000_000.0}, 2.0)
    speeds.embedded("m", 40_000.0, 2.0)
    speeds.parsed("python", 1_100.0, 1_000.0)
    speeds.loaded("m", 7, 1.5)
    again = Speeds.of(speeds.record())
    assert again.index_rate("python").value == pytest.approx(1_500_000.0, rel=0.01)
    assert again.embed_rate("m").value == pytest.approx(20_000.0, rel=0.01)
    assert again.chars_per_byte("python") == pytest.approx(1.1, rel=0.01)
    assert (again.load_seconds("m"), again.model_ids) == (1.5, {"m": 7})
    assert again.measured("m") > 0 and Speeds().measured("m") == 0.0


def test_work_needs_the_model_unless_it_only_deletes() -> None:
    deletes, reads = Work(), Work()
    deletes.add_items("delete", 3, 0.0)
    reads.add_items("delete", 3, 0.0)
    reads.add_items("python", 1, 10.0)
    assert (deletes.needs_model, reads.needs_model, Work().needs_model) == (False, True, False)
