"""pyflow.deprecations: exactly the listed upstream warnings are ignored, only inside the block."""

from __future__ import annotations

import threading
import warnings

import pytest

from pyflow.deprecations import UPSTREAM, upstream_deprecations_silenced

FETCH = "fetch_arrow_table() is deprecated, use to_arrow_table() instead."
INFER = "The 'future.infer_string' option is deprecated and will be removed in pandas 4.0."
INPLACE = (
    "The inplace keyword in DataFrame.drop is deprecated and will be removed in a future version (PDEP-8)."
)


def test_deprecations_listed_messages_are_ignored_inside_the_block() -> None:
    with upstream_deprecations_silenced():
        warnings.warn(FETCH, DeprecationWarning, stacklevel=1)
        warnings.warn(INFER, DeprecationWarning, stacklevel=1)
        warnings.warn(INPLACE, DeprecationWarning, stacklevel=1)


def test_deprecations_other_warnings_still_raise_inside_the_block() -> None:
    with upstream_deprecations_silenced(), pytest.raises(DeprecationWarning, match="something else"):
        warnings.warn("something else is deprecated", DeprecationWarning, stacklevel=1)
    with upstream_deprecations_silenced(), pytest.raises(UserWarning, match="fetch_arrow_table"):
        warnings.warn(FETCH, UserWarning, stacklevel=1)


def test_deprecations_filters_are_restored_after_the_block() -> None:
    before = list(warnings.filters)

    with upstream_deprecations_silenced():
        assert len(warnings.filters) == len(before) + len(UPSTREAM)

    assert list(warnings.filters) == before
    with pytest.raises(DeprecationWarning, match="fetch_arrow_table"):
        warnings.warn(FETCH, DeprecationWarning, stacklevel=1)


def test_deprecations_nested_and_concurrent_blocks_keep_the_filters_until_the_last_exit() -> None:
    before = list(warnings.filters)
    entered = threading.Barrier(4)
    leave = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with upstream_deprecations_silenced():
                entered.wait(timeout=30)
                leave.wait(timeout=30)
                warnings.warn(FETCH, DeprecationWarning, stacklevel=1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    entered.wait(timeout=30)
    with upstream_deprecations_silenced():
        assert len(warnings.filters) == len(before) + len(UPSTREAM)
    leave.set()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert list(warnings.filters) == before
