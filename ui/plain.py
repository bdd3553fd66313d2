"""Text from outside (case text, addresses, names from a login header) shown literally inside markdown.

Streamlit's markdown does not run HTML, but it does draw links and images: a complaint's text holding an image
link to an outside address would make every browser that opens the case fetch from outside the intranet.
Escaping every markdown sign shows such text as written.
"""
MARKDOWN_SIGNS = frozenset("\\`*_{}[]()<>#+-.!|~$:")


def plain(text) -> str:
    return "".join("\\" + ch if ch in MARKDOWN_SIGNS else ch for ch in str(text))
