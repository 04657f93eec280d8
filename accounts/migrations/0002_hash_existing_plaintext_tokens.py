"""Move DRF's plaintext tokens (rest_framework.authtoken) into hashed, named, expiring
ApiTokens and delete the plaintext rows. Holders keep working for 90 days with the same
secret; a database copy taken after this holds no usable token."""

import datetime
import hashlib

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires = timezone.now() + datetime.timedelta(days=90)
    for old in Token.objects.all().iterator():
        ApiToken.objects.create(
            user_id=old.user_id,
            name="Token from before named tokens",
            prefix=old.key[:8],
            digest=hashlib.sha256(old.key.encode()).hexdigest(),
            expires_at=expires,
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_api_tokens_and_user_sessions"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
