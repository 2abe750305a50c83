"""Every public function of ``kgcrm.core.names`` ends, whatever the text (issue 11: "S.A." hung ``org_core``).

Each call runs under a wall-clock alarm (SIGALRM interrupts a pure-Python loop in the main thread),
so a loop that does not shrink fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import inspect
import signal
import string
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgcrm.core import names

#: Seconds one call may take (a 10 kB name takes milliseconds).
LIMIT_S = 2.0


class TookTooLong(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    def interrupt(signum: int, frame: Any) -> None:
        raise TookTooLong(f"{what} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded(function: Callable[..., Any], *args: Any) -> Any:
    with time_limit(LIMIT_S, f"{function.__name__}{args!r:.200}"):
        return function(*args)


# --- the names that hung -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("S.A.", ["s", "a"]),
        ("B.V.", ["b", "v"]),
        ("N.V.", ["n", "v"]),
        ("S. A.", ["s", "a"]),
        ("s a", ["s", "a"]),
        ("Acme S.A.", ["acme"]),
        ("Acme B.V. N.V.", ["acme"]),
        ("The B.V.", ["b", "v"]),
        ("Globex S.A. Inc.", ["globex"]),
    ],
)
def test_org_core_of_two_letter_legal_forms_ends(name, core):
    assert bounded(names.org_core, name) == core


@pytest.mark.parametrize("name", ["S.A.", "B.V.", "N.V.", "S. A."])
def test_comparing_two_letter_legal_forms_ends(name):
    assert bounded(names.compare_org_names, name, name).level == "exact"
    assert bounded(names.compare_org_names, "Acme S.A.", name).level in {"differ", "partial"}


# --- fuzzing every public function ---------------------------------------------------------------------

_PUNCTUATED = st.lists(
    st.sampled_from(["s", "a", "b", "v", "n", "the", "inc", "co", "sa", "bv", ".", ",", " ", "-", "'", "&", "Acme"]),
    max_size=12,
).map("".join)
_SHORT = st.text(alphabet=string.ascii_letters + string.punctuation + " ", max_size=8)
_UNICODE = st.text(max_size=40)  # every code point: accents, combining marks, scripts, surrogates excluded
_LONG = st.builds(lambda unit, n: (unit * n)[:10_240], st.sampled_from(["S.A. ", "b v ", "Ünïcødé ", "x", ". "]),
                  st.integers(min_value=1, max_value=10_240))  # fmt: skip
TEXT = st.one_of(st.just(""), _SHORT, _PUNCTUATED, _UNICODE, _LONG)
MAYBE_TEXT = st.one_of(st.none(), TEXT)

#: Every public function of the module and how many text arguments it takes.
FUNCTIONS: dict[str, int] = {
    "fold": 1,
    "tokens": 1,
    "compact": 1,
    "org_core": 1,
    "normalize_email": 1,
    "normalize_domain": 1,
    "normalize_phone": 1,
    "first_name_variants": 1,
    "ranked_name_variants": 1,
    "nickname_reason": 2,
    "are_name_variants": 2,
    "similarity": 2,
    "is_typo": 2,
    "compare_person_names": 4,
    "compare_single_name": 3,
    "compare_org_names": 2,
    "compare_text_names": 2,
}

#: Functions whose arguments are typed ``str`` (no None).
_STR_ONLY = {"first_name_variants", "ranked_name_variants", "nickname_reason", "are_name_variants", "similarity",
             "is_typo"}  # fmt: skip


def test_every_public_function_is_fuzzed():
    public = {
        name
        for name, value in vars(names).items()
        if inspect.isfunction(getattr(value, "__wrapped__", value))
        and not name.startswith("_")
        and getattr(value, "__module__", None) == names.__name__
    }
    assert public == set(FUNCTIONS)


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_public_function_ends_on_any_text(function_name, data):
    function = getattr(names, function_name)
    strategy = TEXT if function_name in _STR_ONLY else MAYBE_TEXT
    args = [data.draw(strategy) for _ in range(FUNCTIONS[function_name])]
    bounded(function, *args)
