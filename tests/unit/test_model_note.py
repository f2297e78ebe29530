"""What a worker noted when it loaded the configured model (an int8 copy that could not be
made, so fp32 runs): kept for the settings it was noted under, cleared by a load without."""

from __future__ import annotations

from pathlib import Path

from codeindex.config import load_settings
from codeindex.embedding.registry import ModelRegistry
from codeindex.embedding.spec import ModelIdentity
from codeindex.storage import Storage

NOTE = "int8 copy could not be made (no space): using fp32 (slower)"


async def test_a_load_note_is_shown_for_its_settings_and_cleared_by_a_clean_load(
    storage: Storage, tmp_path: Path
) -> None:
    auto = ModelRegistry(storage, load_settings(tmp_path, {"embedding.quantize": "auto"}))
    identity = ModelIdentity("tiny", 128, "0123456789abcdef", "/models/tiny", 256)
    assert await auto.note() is None
    await auto.loaded(identity, NOTE)
    assert await auto.note() == NOTE
    fp32 = ModelRegistry(storage, load_settings(tmp_path, {"embedding.quantize": "fp32"}))
    assert await fp32.note() is None  # noted under other settings
    variant = ModelIdentity("tiny-int8", 128, "fedcba9876543210", "/cache/int8/tiny", 256)
    await auto.loaded(variant)  # the int8 copy is in use now
    assert await auto.note() is None
