"""The text of an LMS's online-text submission (Moodle's ``onlinetext.html``, Canvas's
``text.html``): HTML read as data with the standard library's tokenizer, block elements as line
breaks, entities decoded, scripts and styles dropped. Nothing is fetched or run."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
           "section", "article", "ul", "ol", "table", "hr"}
_SKIPPED = {"script", "style", "head", "title"}
_HEADINGS = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### ", "h5": "##### ", "h6": "###### "}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
            # A heading stays a heading: `<h2>q1.sigmoid</h2>` is the heading form of answers.
            self.parts.append(_HEADINGS.get(tag, ""))
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace("\r", "").replace("\n", " ").replace("\xa0", " "))


def html_to_text(html: str) -> str:
    """The visible text of ``html``, one line per block."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


__all__ = ["html_to_text"]
