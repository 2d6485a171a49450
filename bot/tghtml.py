"""Telegram's HTML parse mode, as strictly as the Bot API applies it.

`parse(text)` returns the plain text a user would see, or raises `HtmlError` with the Bot API's own
description ("can't parse entities: ..."). The sandbox uses it so that a message Telegram would
refuse fails in tests too; the terminal uses `plain` to show replies.
"""

from __future__ import annotations

import re

TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);")


class HtmlError(ValueError):
    pass


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if not match:
                start = re.match(r"</?([^\s>]*)", text[i:])
                shown = start.group(1) if start else ""
                raise HtmlError(
                    f'can\'t parse entities: Unsupported start tag "{shown}" '
                    f"at byte offset {_offset(text, i)}"
                )
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in TAGS:
                raise HtmlError(
                    f'can\'t parse entities: Unsupported start tag "{name}" '
                    f"at byte offset {_offset(text, i)}"
                )
            if closing:
                if not stack:
                    raise HtmlError(
                        f"can't parse entities: Unexpected end tag at byte offset "
                        f"{_offset(text, i)}"
                    )
                expected = stack.pop()
                if expected != name:
                    raise HtmlError(
                        f"can't parse entities: Unmatched end tag at byte offset "
                        f'{_offset(text, i)}, expected "</{expected}>", found "</{name}>"'
                    )
            else:
                if name == "a" and "href" not in attrs:
                    raise HtmlError(
                        f'can\'t parse entities: Tag "a" must have attribute "href" '
                        f"at byte offset {_offset(text, i)}"
                    )
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if not match:
                raise HtmlError(
                    "can't parse entities: Can't find end of the entity starting at byte offset "
                    f"{_offset(text, i)}"
                )
            body = match.group(1)
            if body.startswith("#x"):
                out.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.append(chr(int(body[1:])))
            elif body in NAMED_ENTITIES:
                out.append(NAMED_ENTITIES[body])
            else:
                raise HtmlError(
                    f'can\'t parse entities: Unsupported HTML entity "&{body};" '
                    f"at byte offset {_offset(text, i)}"
                )
            i = match.end()
        elif ch == ">":
            raise HtmlError(
                f'can\'t parse entities: Unexpected character ">" at byte offset '
                f"{_offset(text, i)}; write it as &gt;"
            )
        else:
            out.append(ch)
            i += 1
    if stack:
        raise HtmlError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain(text: str) -> str:
    """Best-effort plain text for display; never raises."""
    try:
        return parse(text)
    except HtmlError:
        return text
