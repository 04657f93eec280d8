"""The masking policy by itself: allow-listed fields, closed vocabularies, no free text,
even when a source app returns more than it should."""

import datetime

from disclosure.policy import POLICY, UNPUBLISHED

LEAK = "Witness Zelda said the foreman hit her"


def test_complaint_stats_keep_only_aggregate_numbers():
    raw = {
        "suppress_below": 1,  # publish every count (suppression: test_small_numbers.py)
        "monthly": [
            {"month": "2026-10", "received": 4, "resolved": 2, "narrative": LEAK},
            {"month": LEAK, "received": 1, "resolved": 0},
        ],
        "median_days_to_resolution": 12.5,
        "share_resolved_within_deadline": 0.75,
        "total_received": 5,
        "total_resolved": 2,
        "open_cases": 3,
        "latest_case": {"narrative": LEAK, "complainant": "Marisol"},
        "investigators": ["Ignatius Quillfeather"],
    }
    out = POLICY.complaint_stats(raw)
    assert out["monthly"] == [{"month": "2026-10", "received": 4, "resolved": 2}]
    assert set(out) == {
        "fewer_than",
        "monthly",
        "median_days_to_resolution",
        "share_resolved_within_deadline",
        "total_received",
        "total_resolved",
        "open_cases",
    }
    assert out["share_resolved_within_deadline"] == 0.75
    assert LEAK not in repr(out) and "Quillfeather" not in repr(out)
    assert POLICY.complaint_stats(None) is None


def test_enforcement_stats_use_the_programs_category_labels():
    raw = {
        "violations_by_category": [
            {"category": "forced_labor", "label": LEAK, "count": 2},
            {"category": "not a category", "label": "x", "count": 1},
        ],
        "premium_paid_to_workers": "1234.50",
        "premium_currency": "USD",
        "confirmed_violations": 3,
        "violations": [{"summary": LEAK}],
    }
    out = POLICY.enforcement_stats(raw)
    assert out["violations_by_category"] == [
        {"category": "forced_labor", "label": "Forced labor or debt", "count": 2}
    ]
    assert out["premium_paid_to_workers"] == 1234.5
    assert LEAK not in repr(out)
    assert POLICY.enforcement_stats({"premium_currency": LEAK})["premium_currency"] == ""


def test_standing_is_category_and_dates_only():
    raw = {
        "standing": "suspended",
        "stage": 2,
        "suspended_until": datetime.date(2027, 2, 1),
        "reason": LEAK,
        "violation": {"summary": LEAK},
    }
    assert POLICY.standing(raw) == {
        "standing": "suspended",
        "escalation_stage": 2,
        "suspended_until": "2027-02-01",
    }
    # Free text where a code belongs is not published; an absent entry is good standing.
    assert POLICY.standing({"standing": LEAK})["standing"] == "good"
    assert POLICY.standing(None) == {
        "standing": "good",
        "escalation_stage": 0,
        "suspended_until": None,
    }
    assert POLICY.standing(UNPUBLISHED)["standing"] is None


def test_complaint_log_hides_open_cases_details():
    open_entry = {
        "reference": "C-2026-00001",
        "category": "Forced labor or debt",
        "facility": "Farm 1",
        "received_month": "2026-11",
        "status": "Investigating",
        "outcome": "Substantiated",
        "narrative": LEAK,
        "complainant": "Marisol",
        "assigned_to": "Ignatius",
    }
    out = POLICY.complaint_log_entry(open_entry)
    assert out == {
        "reference": "C-2026-00001",
        "received": "2026-11",
        "category": "forced_labor",
        "category_label": "Forced labor or debt",
        "status": "investigating",
        "status_label": "Investigating",
        "facility": None,
        "outcome": None,
        "outcome_label": None,
    }
    closed = POLICY.complaint_log_entry(
        {**open_entry, "status": "closed", "outcome": "not_substantiated"}
    )
    assert closed["facility"] == "Farm 1" and closed["outcome"] == "not_substantiated"
    # Free text in a vocabulary field, or a reference that is a sentence, is dropped.
    odd = POLICY.complaint_log_entry(
        {"reference": LEAK, "category": LEAK, "status": "closed", "outcome": LEAK}
    )
    assert odd["reference"] is None and odd["category"] is None and odd["outcome"] is None


def test_education_and_cap_series_take_numbers_only():
    series = POLICY.cap_series(
        [{"date": "2026-10-31", "rate": 0.5, "note": LEAK}, {"date": LEAK, "rate": 1}]
    )
    assert series == [{"date": "2026-10-31", "rate": 0.5}]
    rows = POLICY.education(
        [
            {"season": "2025-26", "workers_reached": 80, "workforce": 100, "share": 0.8},
            {"season": LEAK, "workers_reached": 1},
        ]
    )
    assert rows == [{"season": "2025-26", "workers_reached": 80, "workforce": 100, "share": 0.8}]
