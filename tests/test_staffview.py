"""What staff see of the service: /stato."""

from __future__ import annotations

from tests.conftest import STAFF_ID
from tests.helpers import fill, scuola_config


async def test_status_shows_mail_waiting_announcements_and_the_last_error(
    start_bot, config, tmp_path
):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")  # one e-mail waits in the outbox
    staff = bot.user(STAFF_ID)
    status = (await staff.send("/stato")).text
    for expected in ("Versione:", "In funzione da:", "Persone conosciute: 2", "Database:",
                     "E-mail in attesa: 1 · non consegnate: 0",
                     "Annunci in invio: 0 · programmati: 0", "Ultimo errore: —"):  # fmt: skip
        assert expected in status, expected
    bot.app.bot_data.last_error = "RuntimeError in /rompi"
    assert "Ultimo errore: RuntimeError in /rompi" in (await staff.send("/stato")).text
