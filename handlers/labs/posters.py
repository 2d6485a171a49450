"""QR codes and printable posters: a lab's (staff, and its coordinators), the Scuola's and the
network's (staff)."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass

from telegram import (
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction

from bot import labview, poster
from bot.callbacks import Tap
from bot.context import Ctx
from bot.guards import coordinator_of_tapped_lab, staff_only, staff_or
from domain.directory import Lab

log = logging.getLogger(__name__)

# --- QR codes and posters (staff) ---------------------------------------------------------------

SCUOLA_WORDS = frozenset({"scuola", "school"})
NETWORK_WORDS = frozenset({"rete", "network"})
# Posters hang in Pavia: their line in Italian, and in English in smaller type (the bot speaks
# both). Names stay as they are.
POSTER_LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class QrTarget:
    """What a QR code opens: a lab's card, the Scuola, or the bot itself (the network)."""

    slug: str  # in the file names: poster-<slug>-a4.pdf
    title: str
    link: str
    line: str  # catalog key of what scanning gives
    kicker: str  # catalog key of the small line above the title


def lab_target(context: Ctx, lab: Lab) -> QrTarget:
    return QrTarget(
        lab.id, lab.name, labview.deep_link(context, lab), "poster.lab_line", "poster.kicker"
    )


def scuola_target(context: Ctx) -> QrTarget:
    title = context.data.texts.plain(POSTER_LANGUAGES[0], "poster.scuola_title")
    link = f"https://t.me/{context.bot.username}?start=scuola"
    return QrTarget("scuola", title, link, "poster.scuola_line", "poster.kicker")


def network_target(context: Ctx) -> QrTarget:
    """The bot's plain link: the shortest to type and the smallest code, and it opens the
    welcome with the whole menu (labs, Scuola, events)."""
    title = context.data.texts.plain(POSTER_LANGUAGES[0], "poster.network_title")
    link = f"https://t.me/{context.bot.username}"
    return QrTarget("rete", title, link, "poster.network_line", "poster.network_kicker")


def make_poster(context: Ctx, target: QrTarget) -> poster.Poster:
    texts = context.data.texts
    first, second = (texts.plain(lang, target.line) for lang in POSTER_LANGUAGES)
    kicker = texts.plain(POSTER_LANGUAGES[0], target.kicker)
    return poster.Poster(target.title, target.link, first, second, kicker)


@staff_or(lambda _update, context: bool(context.coordinated_labs()))
async def qr_command(update: Update, context: Ctx) -> None:
    """Staff: any lab's poster, the Scuola's, the network's. A lab's coordinator: her labs' (as
    the card's "🖨️ Manifesto con QR"), and no other."""
    message = update.effective_message
    assert message is not None
    current = context.data.labs.current
    staff = context.is_staff_user
    wanted = " ".join(context.args or []).strip()
    target = None
    if wanted.lower() in SCUOLA_WORDS | NETWORK_WORDS and not staff:
        await message.reply_text(context.t("staff.only"))
        return
    if wanted.lower() in SCUOLA_WORDS:
        target = scuola_target(context)
    elif wanted.lower() in NETWORK_WORDS:
        target = network_target(context)
    elif wanted:
        lab = current.any_lab(wanted)
        if lab is None:
            found = [m for m in context.data.labs.matcher.mentions(wanted) if m.kind == "lab"]
            lab = current.any_lab(found[0].key) if found else None
        if lab is not None and not context.may_edit_lab(lab.id):
            await message.reply_text(context.t("staff.only"))
            return
        target = lab_target(context, lab) if lab else None
    if target is None:
        if staff:
            rows = [[labview.button(lab.name, "qr", lab.id)] for lab in current.visible]
            rows.append([labview.button(context.label("qr.scuola_button"), "qr-scuola")])
            rows.append([labview.button(context.label("qr.network_button"), "qr-rete")])
        else:
            mine = [
                lab for lab_id in context.coordinated_labs() if (lab := current.any_lab(lab_id))
            ]
            rows = [[labview.button(lab.name, "qr", lab.id)] for lab in mine]
        await message.reply_text(
            context.t("qr.pick" if staff else "qr.pick_own"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    await send_posters(update, context, target)


@labview.BUTTONS.on("qr", args=1)
@staff_or(coordinator_of_tapped_lab(labview.BUTTONS))  # a lab's coordinator: that lab's poster
async def qr_of_lab(update: Update, context: Ctx, tap: Tap) -> None:
    lab = context.data.labs.current.any_lab(tap.args[0])
    await _send_tapped(update, context, tap, lab_target(context, lab) if lab else None)


@labview.BUTTONS.on("qr-scuola")
@staff_only
async def qr_of_scuola(update: Update, context: Ctx, tap: Tap) -> None:
    await _send_tapped(update, context, tap, scuola_target(context))


@labview.BUTTONS.on("qr-rete")
@staff_only
async def qr_of_network(update: Update, context: Ctx, tap: Tap) -> None:
    await _send_tapped(update, context, tap, network_target(context))


async def _send_tapped(update: Update, context: Ctx, tap: Tap, target: QrTarget | None) -> None:
    """The posters of a target picked from /qr's list (None: a lab that is gone)."""
    if not context.in_private:  # a staff tool, whatever chat the button got into
        await tap.answer(context.label("qr.private_only"), alert=True)
        return
    if target is None:
        await tap.answer(context.label("labs.gone_alert"), alert=True)
        return
    await tap.answer()
    await send_posters(update, context, target)


async def send_posters(update: Update, context: Ctx, target: QrTarget) -> None:
    """The QR code alone (for flyers, slides, posts), then the A4 poster as a PDF to print and
    as a 300 dpi PNG. The code goes first: it is instant, and stays if a drawing fails."""
    chat_id = labview.chat_of(update)
    image = io.BytesIO()
    import segno  # first use: only staff make QR codes

    segno.make(target.link, error="m").save(image, kind="png", scale=10, border=4)
    await context.bot.send_photo(
        chat_id,
        photo=image.getvalue(),
        filename=f"qr-{target.slug}.png",
        caption=context.t("qr.caption", name=target.title, link=target.link),
    )
    page = make_poster(context, target)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    pdf = await asyncio.to_thread(poster.pdf, page)  # drawing blocks: the bot keeps answering
    await context.bot.send_document(
        chat_id, pdf, filename=f"poster-{target.slug}-a4.pdf", caption=context.t("qr.poster_pdf")
    )
    png = await asyncio.to_thread(poster.png, page)
    await context.bot.send_document(
        chat_id, png, filename=f"poster-{target.slug}-a4.png", caption=context.t("qr.poster_png")
    )
