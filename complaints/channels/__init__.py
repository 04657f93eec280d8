"""Worker channels: SMS, WhatsApp and voice through Twilio, and a generic signed JSON
webhook for other gateways (a program's own Android SMS gateway, RapidPro).

- ``models``: a program's channel configuration, the phone numbers that wrote in (the
  number is identity: encrypted, with a keyed hash for threading), and the channel
  messages both ways (inbound log for replay refusal, outbound outbox with receipts);
- ``transports``: one class per transport: check an inbound request's signature, parse
  it, send a message (as healthchecks' ``transports.py``);
- ``conversation``: the text dialogue that files a complaint and threads later texts;
- ``voice``: the TwiML of a call that leaves a voice message;
- ``outbox``: outbound delivery with retries and delivery receipts;
- ``views``/``urls``: the public webhooks, signature-checked.
"""
