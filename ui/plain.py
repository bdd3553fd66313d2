"""Text from outside (case text, addresses, names from a login header) shown literally inside markdown.

Streamlit's markdown does not run HTML, but it does draw links and images: a complaint's text holding an image
link to an outside address would make every browser that opens the case fetch from outside the intranet.
Escaping every markdown sign shows such text as written.

Messages of our own errors carry Chinese and then, in brackets, English for the command line; on screen only the
Chinese is shown (`chinese`).
"""
import re

MARKDOWN_SIGNS = frozenset("\\`*_{}[]()<>#+-.!|~$:")


def plain(text) -> str:
    return "".join("\\" + ch if ch in MARKDOWN_SIGNS else ch for ch in str(text))


# A closing bracket of ASCII text ending a message: "… 过长 (label longer than 255)" → "… 过长".
_ENGLISH_TAIL = re.compile(r"\s*[(（][\x20-\x7e]*[A-Za-z]{2}[\x20-\x7e]*[)）]\s*$")


def chinese(message: str) -> str:
    """An error message without its English tail (the command line shows both languages)."""
    return _ENGLISH_TAIL.sub("", str(message)) or str(message)
