"""Front ends for teams: the Slack bot (``slack``, listeners in ``listeners``) and the HTTP API (``http``).

Both are thin shells over ``assistant.consult.Consultation``; what they share lives
here too: settings (``settings``), consultations across turns with their stored
attachments (``store``), rate limits (``ratelimit``) and the chart as a PNG (``png``).
Nothing here is imported by ``ask``: the web stack loads only for ``assistant serve``
and ``assistant bot``.
"""

__all__: list[str] = []
