"""An officer of another buyer of the same program never sees buyer X's records.

Every route (HTML and API, the staff workspace and /buyer/), with program A's sample
objects (which belong to buyer X = ``world.buyer``), requested by an officer bound to
``world.other_buyer``. A 403/404, or a 200 that names nothing of buyer X, is right.
"""

import re

import pytest
from django.urls import reverse

from core.actors import SystemActor
from core.roles import Role
from programs import services as program_services
from tests.conftest import make_user
from tests.test_route_isolation import (  # noqa: F401 (fixtures)
    PRIVATE_ROUTES,
    iso,  # noqa: F811
    iso_world,
)

pytestmark = pytest.mark.django_db

MARKERS = ("Buyer One", "Fair Food Agreement", "Signed addendum", "po-hold")


@pytest.fixture
def other_officer(iso):  # noqa: F811
    personas, _ = iso
    a = personas.a
    user = make_user("officer-two@alpha.example.org")
    program_services.membership_invite(
        actor=SystemActor("test-setup"),
        program=a.program,
        email=user.email,
        role=Role.BUYER_OFFICER,
        buyer=a.other_buyer,
        send_email=False,
    )
    return user


def test_other_buyers_officer_sees_nothing_of_buyer_x(iso, other_officer, client_for):  # noqa: F811
    personas, samples = iso
    a = personas.a
    client = client_for(other_officer)
    leaks = []
    for name, kwarg_names in PRIVATE_ROUTES:
        kwargs = dict(samples.get(name, {}))
        if "program" in kwarg_names:
            kwargs["program"] = a.slug
        if any(k not in kwargs for k in kwarg_names):
            continue
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code != 200:
            continue
        body = b"".join(response) if response.streaming else response.content
        # Filter choice lists are issue 21's part ("every choice list shows only what its
        # user may see", engineer "robust"): records are what this test is about.
        text = re.sub(r"<select.*?</select>", "", body.decode("utf-8", "replace"), flags=re.S)
        found = [m for m in MARKERS if m in text]
        if found or kwarg_names != ("program",) and "pk" in kwargs:
            leaks.append((name, url, found))
    assert not leaks, "\n".join(f"{n} {u} shows {f}" for n, u, f in leaks)
