"""The question-answering contract: every case of tests/data/dev-questions.toml (copied from the
project's question set) goes through the sandbox as a new user; the first answer is scored by the
case's contract. The score is printed; under 97% the test fails."""

from __future__ import annotations

import tomllib
from pathlib import Path

from domain import directory

CASES = tomllib.loads((Path(__file__).parent / "data" / "dev-questions.toml").read_text("utf-8"))[
    "case"
]
LABS = directory.load().labs
REQUIRED = 1.0


def first_lab_named(replies) -> str | None:
    """The lab whose name appears first in what the bot sent (texts, then buttons, in order)."""
    shown = "\n".join(
        [m.plain for m in replies] + [label for m in replies for label in m.buttons]
    ).lower()
    positions = [(shown.find(lab.name.lower()), lab.id) for lab in LABS]
    found = sorted((pos, lab_id) for pos, lab_id in positions if pos >= 0)
    return found[0][1] if found else None


def satisfies(case: dict, replies) -> tuple[bool, str]:
    text = replies.text
    low = text.lower()
    buttons = " | ".join(replies.buttons)
    named = first_lab_named(replies)
    if "lab" in case:
        return named == case["lab"], f"first lab named: {named}"
    topic = case["topic"]
    if topic == "scuola":
        ok = "scuola dei laboratori sociali" in low and (
            "iscri" in (low + buttons.lower()) or "/scuola" in low
        )
    elif topic == "assemblea":
        ok = (
            "assemblea" in low
            and ("non c'è una prossima assemblea" in low or any(ch.isdigit() for ch in text))
            and ("notific" in buttons.lower() or "avvis" in buttons.lower() or "promemoria" in low)
        )
    elif topic == "contatti":
        ok = "info@csf.pv.it" in text
    elif topic == "laboratori":
        ok = all(lab.name in text or lab.name in buttons for lab in LABS)
    elif topic == "fallback":
        ok = named is None and bool(
            {"🔎 Trova un laboratorio", "🔎 Find a lab"} & set(replies.buttons)
        )
    else:
        raise AssertionError(f"unknown topic {topic}")
    return ok, f"topic {topic}; answer: {text[:120]!r} buttons: {buttons[:120]!r}"


async def test_dev_set_score(bot, capsys):
    right, misses = 0, []
    for number, case in enumerate(CASES):
        user = bot.user(300_000 + number, first_name="Nuovo", language_code=case.get("lang", "it"))
        if "location" in case:
            replies = await user.share_location(*case["location"])
        else:
            replies = await user.send(case["text"])
        ok, detail = satisfies(case, replies)
        right += ok
        if not ok:
            misses.append(f"{case.get('text', case.get('location'))!r}: {detail}")
    score = right / len(CASES)
    with capsys.disabled():
        print(f"\ndev-set score: {right}/{len(CASES)} = {score:.1%}")
        for miss in misses:
            print("  MISS", miss)
    assert score >= REQUIRED, misses
