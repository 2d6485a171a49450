"""Small truths (issue 21, part 7), end to end through the real application: staff screens in
Italian say "(da confermare)", never the data file's "(inferred)"; an activity's audience and
year appear once, on the card and in the editor's preview."""

from __future__ import annotations

from tests.conftest import STAFF_ID
from tests.helpers import open_editor


async def test_staff_screens_say_da_confermare_not_inferred(bot):
    staff = bot.user(STAFF_ID)
    menu = await open_editor(staff, "La Torretta")
    assert "inferred" not in " ".join(m.plain for m in menu)
    await staff.press("Zona")
    prompt = staff.last().plain
    assert "inferred" not in prompt  # was "Torretta, Pavia nord (inferred)"
    assert "Torretta, Pavia nord (da confermare)" in prompt
    confirm = await staff.send("Torretta, Pavia nord")
    assert "inferred" not in confirm.text and "(da confermare)" in confirm.text  # the "before"


async def test_an_activitys_audience_and_year_appear_once(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    preview = await staff.send("Gruppo di lettura per adulti, nel 2018")
    assert "«• Gruppo di lettura per adulti, nel 2018»" in preview.text
    assert "(per adulti" not in preview.text and "2018)" not in preview.text
    await staff.press("✅ Salva")
    card = await bot.user().send("crosione")
    assert "Gruppo di lettura per adulti, nel 2018\n" in card.text
    assert "(per adulti, nel 2018)" not in card.text  # was said twice
