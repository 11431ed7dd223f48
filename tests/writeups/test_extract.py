"""Markdown and LaTeX write-ups → math blocks with their lines, and template markers."""

from __future__ import annotations

import grader.writeups.extract as extract_module
from grader.writeups.extract import extract


def blocks(text, kind="md", ids=()):
    doc = extract(text, kind, set(ids))
    return [(doc.line_of(b.offset), b.display, b.text.strip()) for b in doc.blocks], doc


def test_markdown_display_and_inline_math_in_order_with_lines():
    text = "Q.4 1) with $\\alpha = 0.25$\n\n$$w_1 = 25$$\n\nprose\n\\[ a = b \\]\n$$\nx\n= y\n$$\n"
    found, _ = blocks(text)
    assert found == [(1, False, "\\alpha = 0.25"), (3, True, "w_1 = 25"), (6, True, "a = b"),
                     (7, True, "x\n= y")]


def test_money_code_and_comments_are_not_math():
    text = ("It costs $5 and $10.\n\n```python\nx = '$$ a = b $$'\n```\n"
            "Inline `$x$` code. <!-- $$ c = d $$ -->\n$$e = f$$\n")
    found, _ = blocks(text)
    assert found == [(7, True, "e = f")]


def test_markdown_escaped_underscore_inside_math_is_an_underscore():
    found, doc = blocks("$$w\\_1 = 25$$")
    assert "w _1" in doc.blocks[0].text


def test_latex_comments_document_body_verbatim_and_environments():
    text = "\n".join([
        "\\documentclass{article}",
        "$$ preamble = 1 $$",
        "\\begin{document}",
        "% $$ commented = out $$",
        "Cost 5\\% of $x = 1$. % a comment with $y = 2$",
        "\\begin{verbatim}",
        "$$ code = 3 $$",
        "\\end{verbatim}",
        "\\begin{align*}",
        "  a &= b \\\\",
        "    &= c",
        "\\end{align*}",
        "\\begin{equation} d = e \\tag{1} \\end{equation}",
        "\\( g = h \\)",
        "\\end{document}",
        "$$ after = end $$",
    ])
    found, _ = blocks(text, "tex")
    assert found == [(5, False, "x = 1"), (9, True, "a &= b \\\\\n    &= c"),
                     (13, True, "d = e \\tag{1}"), (14, False, "g = h")]


def test_template_markers_in_both_notations():
    _, md = blocks("<!-- q1.sigmoid -->\n$$a$$\n<!-- not.a.question -->", ids={"q1.sigmoid"})
    assert set(md.markers) == {"q1.sigmoid"}
    text = "\\begin{document}\n% q1.sigmoid\n$a$\n\\begin{answer}{q2.x}\n$b$\n\\end{answer}\n\\end{document}"
    _, tex = blocks(text, "tex", {"q1.sigmoid", "q2.x"})
    assert tex.line_of(tex.markers["q1.sigmoid"].start) == 2
    assert tex.markers["q2.x"].end is not None
    assert tex.line_of(tex.markers["q2.x"].end) == 6


def test_unclosed_display_math_is_a_note_not_a_failure():
    found, doc = blocks("$$ a = b\n\nmore text\n")
    assert found == []
    assert any("never closed" in note and "line 1" in note for note in doc.notes)


def test_size_limits_are_said(monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_CHARS", 50)
    doc = extract("$$a = b$$ " * 20, "md")
    assert any("only the first 50" in note for note in doc.notes)
    monkeypatch.setattr(extract_module, "MAX_CHARS", 10_000)
    monkeypatch.setattr(extract_module, "MAX_BLOCKS", 3)
    doc = extract("$$a = b$$ " * 20, "md")
    assert len(doc.blocks) == 3
    assert any("more than 3 pieces of math" in note for note in doc.notes)


def test_prose_between_blocks_and_line_numbers_of_windows_files():
    doc = extract("first\r\n$$a$$\r\nsecond $b$ third\r\n", "md")
    assert doc.line_of(doc.blocks[1].offset) == 3
    assert " ".join(doc.prose(0, len(doc.text)).split()) == "first second third"
