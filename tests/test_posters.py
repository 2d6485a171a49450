"""/qr: printable posters of a lab, the Scuola and the network (an A4 PDF and the same page as a
300 dpi PNG, with the QR code alone as before), for staff in their private chat."""

from __future__ import annotations

import io
import re
import zlib

import pytest
import segno
from PIL import Image

from bot import poster
from bot.sandbox.telegram import BOT_USERNAME
from tests.conftest import STAFF_ID

BOT = f"https://t.me/{BOT_USERNAME}"
MM = 300 / 25.4  # pixels per millimetre in the PNG


def pdf_lines(pdf: bytes) -> list[str]:
    """The lines of text of a matplotlib PDF: one TJ array each, its strings in Latin-1."""
    lines = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for array in re.findall(rb"\[(.*?)\]\s*TJ", content, re.S):
            strings = re.findall(rb"\(((?:[^\\)]|\\.)*)\)", array)
            text = b"".join(re.sub(rb"\\(.)", rb"\1", s) for s in strings)
            lines.append(text.decode("latin-1"))
    return lines


def page_size(pdf: bytes) -> tuple[int, int]:
    [box] = re.findall(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", pdf)
    return round(float(box[0])), round(float(box[1]))


def check_pdf(pdf: bytes, title: str, link: str, line: str) -> None:
    assert pdf.startswith(b"%PDF")
    assert page_size(pdf) == (595, 842)  # A4, in points
    lines = pdf_lines(pdf)
    assert title in " ".join(lines)
    assert link.removeprefix("https://") in "".join(lines)  # written out, maybe on two lines
    assert line in " ".join(lines)
    assert f"/URI ({link})".encode() in pdf  # and a link to click


def check_png(png: bytes, link: str) -> None:
    """The page at print resolution, its margins blank, and its QR code read back module by
    module: the code of `link`, at least 10 cm wide (it scans from a metre), in a white quiet
    zone of 4 modules."""
    image = Image.open(io.BytesIO(png))
    assert image.size == (2480, 3507) and round(image.info["dpi"][0]) == 300
    grey = image.convert("L")
    margin = round(15 * MM)
    for strip in ((0, 0, margin, grey.height), (grey.width - margin, 0, grey.width, grey.height)):
        assert grey.crop(strip).getextrema()[0] > 250, strip  # nothing overflows the page
    # Only the code is pure black: texts are dark grey and blue.
    left, top, right, bottom = grey.point(lambda v: 255 if v < 16 else 0).getbbox()
    expected = segno.make(link, error="m").matrix
    size = len(expected)
    assert right - left == pytest.approx(bottom - top, abs=2)
    assert (right - left) / MM >= 100
    module = (right - left) / size
    read = [
        tuple(grey.getpixel((int(left + (c + 0.5) * module), int(top + (r + 0.5) * module))) < 128
              for c in range(size))
        for r in range(size)
    ]  # fmt: skip
    assert read == [tuple(bool(v) for v in row) for row in expected]
    quiet = round(4 * module) - 2
    ring = grey.crop((left - quiet, top - quiet, right + quiet, bottom + quiet))
    inner = quiet - 1  # the code, with its anti-aliased edge
    ring.paste(255, (inner, inner, ring.width - inner, ring.height - inner))
    assert ring.getextrema()[0] > 250  # no text in the quiet zone


async def test_staff_get_a_printable_poster_of_a_lab(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/qr")
    assert staff.last().buttons[-2:] == ["🎓 Scuola dei Laboratori Sociali", "🌐 Tutta la rete"]
    replies = await staff.press("Spazio Q")
    assert replies.kinds == ["photo", "document", "document"]
    code, pdf, png = replies
    link = f"{BOT}?start=lab_spazio-q"
    assert code.payload["file"]["data"].startswith(b"\x89PNG")
    assert code.payload["file"]["file_name"] == "qr-spazio-q.png"
    assert link in code.plain and "Spazio Q" in code.plain
    assert pdf.payload["file"]["file_name"] == "poster-spazio-q-a4.pdf"
    assert "A4" in pdf.plain
    line = "Inquadra il codice: orari, attività e novità del laboratorio, su Telegram."
    check_pdf(pdf.payload["file"]["data"], "Spazio Q", link, line)
    assert "Scan the code: opening hours" in " ".join(pdf_lines(pdf.payload["file"]["data"]))
    assert png.payload["file"]["file_name"] == "poster-spazio-q-a4.png"
    assert "300 dpi" in png.plain
    check_png(png.payload["file"]["data"], link)
    # By name, in English for an English-speaking staff member.
    english = bot.user(STAFF_ID, language_code="en")
    replies = await english.send("/qr in scala")
    assert replies.kinds == ["photo", "document", "document"]
    assert "The A4 poster to print" in replies[1].plain
    assert replies[1].payload["file"]["file_name"] == "poster-in-scala-a4.pdf"


@pytest.mark.parametrize(
    ("button", "command", "slug", "title", "link", "line"),
    [
        (
            "🎓 Scuola dei Laboratori Sociali", "/qr scuola", "scuola",
            "Scuola dei Laboratori Sociali", f"{BOT}?start=scuola",
            "Inquadra il codice: cos'è la Scuola, le date degli incontri e come iscriversi",
        ),
        (
            "🌐 Tutta la rete", "/qr rete", "rete", "Laboratori Sociali di Pavia", BOT,
            "Inquadra il codice: il laboratorio vicino a te, la Scuola e gli incontri della rete",
        ),
    ],
    ids=["scuola", "rete"],
)  # fmt: skip
async def test_staff_get_posters_of_the_scuola_and_of_the_network(
    bot, button, command, slug, title, link, line
):
    staff = bot.user(STAFF_ID)
    await staff.send("/qr")
    replies = await staff.press(button)
    assert replies.kinds == ["photo", "document", "document"]
    code, pdf, png = replies
    assert code.payload["file"]["file_name"] == f"qr-{slug}.png"
    assert link in code.plain
    assert pdf.payload["file"]["file_name"] == f"poster-{slug}-a4.pdf"
    check_pdf(pdf.payload["file"]["data"], title, link, line)
    assert png.payload["file"]["file_name"] == f"poster-{slug}-a4.png"
    check_png(png.payload["file"]["data"], link)
    by_name = await staff.send(command)
    assert by_name[1].payload["file"]["file_name"] == f"poster-{slug}-a4.pdf"


async def test_posters_are_for_staff_in_their_private_chat(bot):
    anna = bot.user()
    refused = await anna.send("/qr scuola")
    assert refused.kinds == ["text"] and "riservato allo staff" in refused.text
    for data in ("lab:v1:qr:spazio-q", "lab:v1:qr-scuola", "lab:v1:qr-rete"):
        assert await anna.press_data(data) == []
        assert "riservato" in anna.callback_answer()["text"]
    staff = bot.user(STAFF_ID)
    await staff.send("/qr")
    assert await staff.press_data("lab:v1:qr:chiuso-da-tempo") == []  # a lab since removed
    assert staff.callback_answer()["text"] == "Questo laboratorio non è più nell'elenco."
    group = bot.group()
    in_group = await staff.send("/qr spazio q", chat=group)
    assert in_group.kinds == ["text"] and "scrivimi in privato" in in_group.text
    await staff.send("ciao a tutti", chat=group)
    forged = await staff.press_data("lab:v1:qr-rete", staff.last_sent(group))
    assert forged == []
    assert "chat privata" in staff.callback_answer()["text"]
    assert not [m for m in bot.api.sent if m.kind != "text"]  # no code, no poster anywhere


def test_a_long_name_and_a_long_link_fit_the_page():
    name = "Laboratorio di Quartiere Crosione – San Pietro in Verzolo"
    link = f"{BOT}?start=lab_crosione-san-pietro-in-verzol"  # a lab id is at most 32 letters
    page = poster.Poster(
        name, link, "Inquadra il codice: orari, attività e novità del laboratorio, su Telegram.",
        "Scan the code: opening hours, activities and news of the lab, on Telegram.",
        "Laboratori Sociali di Pavia",
    )  # fmt: skip
    lines = pdf_lines(poster.pdf(page))
    # The title on three lines, the dash (drawn apart, outside Latin-1) ending the second.
    assert lines[1] == "Laboratorio di" and lines[2].startswith("Quartiere Crosione")
    assert "San Pietro in Verzolo" in lines
    assert ["t.me/LabSocialiPaviaBot", "?start=lab_crosione-san-pietro-in-verzol"] in [
        lines[i : i + 2] for i in range(len(lines))
    ]  # the link cut before "?start="
    check_png(poster.png(page), link)
