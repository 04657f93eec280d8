"""The OpenAPI schema covers the programs endpoints and generates them without a
warning (a warning usually means a wrong or missing type in the published contract)."""

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_programs_endpoints_in_schema_without_warnings(tmp_path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--file", str(out))
    stderr = capsys.readouterr().err
    ours = [
        line
        for line in stderr.splitlines()
        if "programs" in line or "CodeVersion" in line or "Agreement" in line
    ]
    assert not ours, "\n".join(ours)
    paths = yaml.safe_load(out.read_text())["paths"]
    prefix = "/api/v1/programs/{program}/"
    for path in (
        "buyers/",
        "suppliers/{id}/",
        "facilities/",
        "sourcing/{id}/end/",
        "agreements/{id}/activate/",
        "agreements/{id}/terminate/",
        "agreements/{id}/signatories/",
        "agreements/{id}/share/",
        "codes/{id}/draft/",
        "code-versions/{id}/ratify/",
        "provisions/{id}/",
        "members/{id}/",
    ):
        assert prefix + path in paths, path
