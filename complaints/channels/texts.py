"""What the channels say to the worker, translated (locale/*/LC_MESSAGES/django.po).

Short: every text is an SMS, and a worker may pay for each one."""

from django.utils.translation import gettext_lazy as _

# The first answer, before a language is known: every language in its own words.
LANGUAGE_MENU = (
    "Reply 1 English · 2 Español · 3 Kreyòl ayisyen · 4 বাংলা\n"
    "Complaint line of {program}. Confidential. STOP to stop."
)
ASK_WHAT = _(
    "Your complaint is confidential. Tell us what happened. You can send several messages."
)
ASK_WHERE = _("Where did it happen? Send the name of the farm or workplace.")
ASK_PICK = _("Reply with the number of your workplace:")
NONE_OF_THESE = _("None of these")
ASK_WHEN = _("When did it happen? For example: yesterday, last week, 3 May.")
FILED = _(
    "Thank you. Your complaint is filed. Your receipt code is %(code)s. Keep it safe and "
    "secret: text it from any phone to reach your complaint. Reply here to add to it."
)
LINKED = _("You are connected to your complaint. Reply here to write to the team.")
UNKNOWN_CODE = _("No complaint has this code. Check the 16 digits and send them again.")
TOO_MANY_TRIES = _("Too many tries. Please wait a few minutes and send your code again.")
RECEIVED = _("Received. The team will answer you here.")
CLOSED = _("Your complaint is closed. To file a new complaint, send NEW.")
FROM_TEAM = _("Message about your complaint: %(body)s")
RESUBSCRIBED = _("You will receive our messages again.")
# Voice
SAY_RECORD = _(
    "After the tone, tell us what happened, where and when. Press the hash key when you are done."
)
SAY_FILED = _(
    "Thank you. Your complaint is filed. Your receipt code is: %(digits)s. Again: "
    "%(digits)s. We are also sending it to you by text message."
)
SAY_NOTHING_HEARD = _("We did not hear a message. Please call again.")
# Staff-facing (English UI): what a voice case says in place of a narrative.
VOICE_NARRATIVE = "Voice message: see the recording in the evidence."
VOICE_WHERE = "Told in the voice message."
# Retaliation watch (checkins.py)
CHECKIN = _(
    "A question about your complaint, closed %(days)s days ago: since then, has anyone "
    "punished or threatened you for complaining? Reply YES or NO."
)
CHECKIN_YES = _(
    "Thank you for telling us. We filed it as an urgent complaint; the team will contact "
    "you here. Its receipt code is %(code)s."
)
CHECKIN_NO = _("Thank you. If anything happens, text us here at any time.")
