"""Matching incoming facilities: exact on cleaned name+address+country, fuzzy with a
score (auto-accepted above the threshold, asked in between), against the program's
facilities and its Open Supply Hub download; decisions remembered."""

import pytest

from core.errors import DomainError
from programs.models import Facility
from registry import matching, services
from registry.models import MatchDecision

from .conftest import HEADER, apply, csv_bytes, upload

pytestmark = pytest.mark.django_db

OSHUB = [
    ["os_id", "name", "address", "country_code", "lat", "lng", "number_of_workers", "sector"],
    [
        "BD2019085B6BVHF",
        "Dhaka Knit Unit 1",
        "12 Tongi Road, Gazipur",
        "BD",
        "23.9",
        "90.4",
        "",
        "Apparel",
    ],
    [
        "BD2020111ZZZZZZ",
        "Rahman Sweaters",
        "99 Ashulia Highway, Savar",
        "BD",
        "",
        "",
        "",
        "Apparel",
    ],
]


def row(supplier, name, address, country="BD"):
    return [supplier, name, address, country, "", "", "", "", "", ""]


def test_clean_key_ignores_case_accents_punctuation_and_legal_forms():
    assert matching.facility_key("Café Knit Ltd.", "12, Tongi Rd", "bd") == matching.facility_key(
        "CAFE KNIT", "12 Tongi", "BD"
    )


def test_exact_and_fuzzy_scores():
    index = matching.MatchIndex(
        [
            (
                matching.facility_key("Dhaka Knit Unit 1", "12 Tongi Road, Gazipur", "BD"),
                matching.Candidate(1, "Dhaka Knit Unit 1", "12 Tongi Road, Gazipur"),
            )
        ]
    )
    exact = index.find(matching.facility_key("dhaka knit unit 1", "12 Tongi Rd Gazipur", "BD"))
    assert (exact.how, exact.score) == ("exact", 100)
    typo = index.find(matching.facility_key("Dhaka Knitt Unit 1", "12 Tongi Road, Gazipur", "BD"))
    assert typo.how == "fuzzy" and typo.score >= matching.AUTO_ACCEPT
    other_country = index.find(matching.facility_key("Dhaka Knit Unit 1", "12 Tongi Road", "IN"))
    assert other_country is None
    unrelated = index.find(matching.facility_key("Sunrise Farms", "Route 9, Immokalee", "BD"))
    assert unrelated is None


def test_a_typo_is_auto_accepted_as_the_same_facility(a):
    apply(a, upload(a, [HEADER, row("Knit Co", "Dhaka Knit Unit 1", "12 Tongi Road, Gazipur")]))
    batch = upload(a, [HEADER, row("Knit Co", "Dhaka Knitt Unit 1", "12 Tongi Road, Gazipur")])
    entry = batch.preview[0]
    assert entry["action"] == "update" and entry["match"]["how"] == "fuzzy"
    assert entry["changes"] == ["name"]


def _in_between(a):
    apply(a, upload(a, [HEADER, row("Knit Co", "Dhaka Knit Unit 1", "12 Tongi Road, Gazipur")]))
    return upload(a, [HEADER, row("Knit Co", "Dhaka Knitwear 1", "12 Tongi Road, Gazipur")])


def test_a_possible_match_is_asked_and_blocks_apply_until_decided(a):
    batch = _in_between(a)
    entry = batch.preview[0]
    assert entry["action"] == "ask"
    assert matching.ASK <= entry["ask"]["score"] < matching.AUTO_ACCEPT
    assert entry["ask"]["name"] == "Dhaka Knit Unit 1"
    with pytest.raises(DomainError, match="Decide the 1 possible matches first"):
        apply(a, batch)


def test_confirmed_match_updates_and_a_reupload_asks_nothing(a):
    batch = _in_between(a)
    batch = services.match_decide(actor=a.user("staff"), batch=batch, line=2, accept=True)
    batch = services.import_analyse(batch_id=batch.pk)
    assert batch.preview[0]["action"] == "update"
    apply(a, batch)
    assert Facility.objects.filter(program=a.program, name="Dhaka Knitwear 1").count() == 1
    again = upload(a, [HEADER, row("Knit Co", "Dhaka Knitwear 1", "12 Tongi Road, Gazipur")])
    assert again.summary["unchanged"] == 1 and again.summary["ask"] == 0


def test_rejected_match_creates_a_new_facility_and_is_not_asked_again(a):
    batch = _in_between(a)
    batch = services.match_decide(actor=a.user("staff"), batch=batch, line=2, accept=False)
    batch = services.import_analyse(batch_id=batch.pk)
    assert batch.preview[0]["action"] == "create"
    apply(a, batch)
    again = upload(a, [HEADER, row("Knit Co", "Dhaka Knitwear 1", "12 Tongi Road, Gazipur")])
    # Now it matches the facility the last import created, exactly; nothing is asked.
    assert again.summary == {**again.summary, "unchanged": 1, "ask": 0, "create": 0}
    assert MatchDecision.objects.filter(program=a.program, accepted=False).count() == 1


def test_os_hub_download_gives_the_os_id(a):
    n = services.oshub_load(
        actor=a.user("staff"), program=a.program, filename="osh.csv", data=csv_bytes(OSHUB)
    )
    assert n == 2
    batch = upload(a, [HEADER, row("Knit Co", "Dhaka Knit Unit 1", "12 Tongi Rd Gazipur")])
    assert batch.preview[0]["os_id"] == "BD2019085B6BVHF"
    apply(a, batch)
    assert Facility.objects.get(program=a.program, name="Dhaka Knit Unit 1").os_id == (
        "BD2019085B6BVHF"
    )


def test_os_hub_possible_match_is_asked_then_remembered(a):
    services.oshub_load(
        actor=a.user("staff"), program=a.program, filename="osh.csv", data=csv_bytes(OSHUB)
    )
    rows = [HEADER, row("Rahman", "Rahman Sweater Factory", "99 Ashulia Highway, Savar")]
    batch = upload(a, rows)
    ask = batch.preview[0]["ask"]
    assert ask["target"] == "oshub" and ask["ref"] == "BD2020111ZZZZZZ"
    services.match_decide(actor=a.user("staff"), batch=batch, line=2, accept=True)
    batch = services.import_analyse(batch_id=batch.pk)
    assert batch.preview[0]["os_id"] == "BD2020111ZZZZZZ"
    apply(a, batch)
    again = upload(a, rows)
    assert again.summary["unchanged"] == 1 and again.summary["ask"] == 0


def test_os_hub_loads_are_per_program(a, b):
    services.oshub_load(
        actor=a.user("staff"), program=a.program, filename="osh.csv", data=csv_bytes(OSHUB)
    )
    batch = upload(b, [HEADER, row("Knit Co", "Dhaka Knit Unit 1", "12 Tongi Rd Gazipur")])
    assert "os_id" not in batch.preview[0]


def test_a_file_that_is_not_an_os_hub_download_is_refused(a):
    with pytest.raises(DomainError, match="not an Open Supply Hub download"):
        services.oshub_load(
            actor=a.user("staff"),
            program=a.program,
            filename="x.csv",
            data=csv_bytes([HEADER, row("a", "b", "c")]),
        )
