"""The cache's files in parts with a footer (cache_folder.with_footer / footed): what is written one part at a time is read
back as the same parts, and a body that is not such a file is refused, never misread."""

from __future__ import annotations

import marshal

import pytest

from migrate_guard.cache_folder import footed, with_footer


@pytest.mark.parametrize("parts", [[], [b""], [b"a"], [marshal.dumps(list(range(1000))), b"", marshal.dumps("x")]])
def test_parts_come_back_as_written(parts: list[bytes]) -> None:
    data = b"".join(with_footer(("key", {"f": "d"}), iter(parts)))
    header, read = footed(memoryview(data))
    assert header == ("key", {"f": "d"})
    assert [bytes(p) for p in read] == parts


@pytest.mark.parametrize("body", [b"", b"\x00" * 7, (10**6).to_bytes(8, "little"), marshal.dumps(("key", {}, b"old"))])
def test_a_body_without_a_footer_is_refused(body: bytes) -> None:
    with pytest.raises((ValueError, EOFError, TypeError)):
        footed(memoryview(body))


def test_a_footer_whose_parts_do_not_add_up_is_refused() -> None:
    data = b"".join(with_footer(None, [b"abc"]))
    with pytest.raises(ValueError):
        footed(memoryview(b"x" + data))  # one byte more in front: the sizes no longer cover the body
