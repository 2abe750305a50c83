"""Tie strength is pure: each kind of evidence, combined, and along a path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kgcrm.retrieval import strength as st

NOW = datetime(2025, 11, 19, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def test_recency_halves_every_half_life():
    assert st.recency(NOW, NOW, 90) == 1.0
    assert st.recency(NOW - timedelta(days=90), NOW, 90) == pytest.approx(0.5)
    assert st.recency(NOW - timedelta(days=180), NOW, 90) == pytest.approx(0.25)
    assert st.recency(NOW + timedelta(days=3), NOW, 90) == 1.0  # a time after "now" is not fresher than now


def test_frequency_saturates():
    values = [st.frequency(n, 4.0) for n in (0, 1, 2, 5, 10, 50)]

    assert values[0] == 0.0
    assert values == sorted(values)
    assert values[-1] > 0.99
    assert values[-1] - values[-2] < values[1] - values[0]


def test_frequent_recent_interactions_beat_rare_or_old_ones():
    frequent_recent = st.interaction_strength(12, NOW - timedelta(days=3), NOW)
    rare_recent = st.interaction_strength(1, NOW - timedelta(days=3), NOW)
    frequent_old = st.interaction_strength(12, NOW - timedelta(days=400), NOW)

    assert 0.0 < rare_recent < frequent_recent <= 1.0
    assert 0.0 < frequent_old < frequent_recent
    assert st.interaction_strength(0, NOW, NOW) == 0.0
    assert st.interaction_strength(3, None, NOW) == 0.0


def test_old_frequent_tie_keeps_the_recency_floor():
    params = st.StrengthParams(recency_floor=0.25)

    ancient = st.interaction_strength(100, NOW - timedelta(days=5000), NOW, params)

    assert ancient == pytest.approx(0.25 * st.frequency(100, params.frequency_scale), rel=1e-3)


def test_half_life_is_a_parameter():
    last = NOW - timedelta(days=60)

    short = st.interaction_strength(5, last, NOW, st.StrengthParams(half_life_days=30))
    long = st.interaction_strength(5, last, NOW, st.StrengthParams(half_life_days=365))

    assert short < long


def test_knows_uses_the_recorded_strength_else_the_kind_default():
    assert st.knows_strength(0.9, "knows") == 0.9
    assert st.knows_strength(1.7, "knows") == 1.0
    assert st.knows_strength(None, "family") == st.KIND_DEFAULTS["family"]
    assert st.knows_strength(None, "family") > st.knows_strength(None, "introduced")
    assert st.knows_strength(None, "no-such-kind") == st.DEFAULT_PARAMS.unknown_kind_default


def test_tenure_overlap():
    both_current = st.tenure_overlap(date(2020, 1, 1), None, date(2022, 6, 1), None, TODAY)
    past = st.tenure_overlap(date(2019, 1, 1), date(2022, 12, 31), date(2021, 1, 1), None, TODAY)
    apart = st.tenure_overlap(date(2015, 1, 1), date(2017, 1, 1), date(2018, 1, 1), None, TODAY)
    touching = st.tenure_overlap(date(2015, 1, 1), date(2017, 1, 1), date(2017, 1, 1), None, TODAY)

    assert both_current == st.Overlap(date(2022, 6, 1), TODAY, current=True)
    assert past == st.Overlap(date(2021, 1, 1), date(2022, 12, 31), current=False)
    assert apart is None
    assert touching is not None and touching.days == 0


def test_a_role_without_start_is_assumed_to_last_a_year():
    params = st.StrengthParams(unknown_tenure_days=365)

    early = st.tenure_overlap(None, date(2020, 1, 1), date(2018, 1, 1), None, TODAY, params)
    late = st.tenure_overlap(None, date(2020, 1, 1), date(2019, 6, 1), None, TODAY, params)

    assert early == st.Overlap(date(2019, 1, 1), date(2020, 1, 1), current=False)
    assert late == st.Overlap(date(2019, 6, 1), date(2020, 1, 1), current=False)


def test_coworker_strength_grows_with_overlap_and_fades_when_past():
    long_current = st.Overlap(TODAY - timedelta(days=3 * 365), TODAY, current=True)
    short_current = st.Overlap(TODAY - timedelta(days=60), TODAY, current=True)
    long_past = st.Overlap(date(2015, 1, 1), date(2018, 1, 1), current=False)
    recent_past = st.Overlap(date(2021, 11, 1), date(2024, 11, 1), current=False)

    s_long = st.coworker_strength(long_current, TODAY, headcount=10)
    s_short = st.coworker_strength(short_current, TODAY, headcount=10)
    s_past = st.coworker_strength(long_past, TODAY, headcount=10)
    s_recent_past = st.coworker_strength(recent_past, TODAY, headcount=10)

    assert s_short < s_long <= st.DEFAULT_PARAMS.coworker_max
    assert s_past < s_recent_past < s_long


def test_coworkers_at_a_large_organization_are_weaker():
    overlap = st.Overlap(TODAY - timedelta(days=2 * 365), TODAY, current=True)

    small = st.coworker_strength(overlap, TODAY, headcount=12)
    large = st.coworker_strength(overlap, TODAY, headcount=2500)

    assert large == pytest.approx(small * (25 / 2500) ** 0.5)


def test_affiliation_current_past_and_through_a_subsidiary():
    current = st.affiliation_strength(None, TODAY, via_family=False)
    via_subsidiary = st.affiliation_strength(None, TODAY, via_family=True)
    left_last_year = st.affiliation_strength(TODAY - timedelta(days=365), TODAY, via_family=False)
    left_long_ago = st.affiliation_strength(TODAY - timedelta(days=3650), TODAY, via_family=False)

    assert current == 1.0
    assert via_subsidiary == pytest.approx(st.DEFAULT_PARAMS.family_factor)
    assert left_long_ago < left_last_year < current


def test_combine_is_a_noisy_or():
    assert st.combine([]) == 0.0
    assert st.combine([0.5]) == 0.5
    assert st.combine([0.5, 0.5]) == pytest.approx(0.75)
    assert st.combine([0.3, 0.9]) > 0.9
    assert st.combine([1.0, 0.2]) == 1.0


def test_path_score_is_the_product_so_longer_paths_score_lower():
    assert st.path_score([]) == 1.0
    assert st.path_score([0.8, 0.5]) == pytest.approx(0.4)
    assert st.path_score([0.8, 0.5, 0.9]) < st.path_score([0.8, 0.5])


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [(0, 0, "none"), (3, 0, "rising"), (6, 3, "rising"), (4, 4, "steady"), (5, 4, "steady"), (1, 4, "falling")],
)
def test_trend(recent, previous, expected):
    assert st.trend(recent, previous) == expected


def test_invalid_parameters_are_refused():
    with pytest.raises(ValueError, match="half_life_days"):
        st.StrengthParams(half_life_days=0)
    with pytest.raises(ValueError, match="recency_floor"):
        st.StrengthParams(recency_floor=1.5)
