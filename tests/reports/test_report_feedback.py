"""feedback/<student>.md files: valid Markdown, rendered with markdown-it in these tests: student
text stays text (no link, image, HTML or formatting), caret diagrams stay in code blocks, each
question's prompt is quoted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_sample import SECRET

from grader.reports import (
    QuestionInfo,
    ReportMeta,
    verdict_table,
    write_outdir,
)
from grader.reports.feedback import escape_markdown, feedback_markdown
from grader.verdict import Verdict

markdown_it = pytest.importorskip("markdown_it")


def render(text: str) -> str:
    """HTML as a CommonMark renderer with GFM's autolinks (linkify) and tables shows it."""
    pytest.importorskip("linkify_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True, "linkify": True})
    return md.enable(["table", "strikethrough", "linkify"]).render(text)


def text_of(html: str) -> str:
    """The visible text of rendered HTML (tags dropped, entities decoded)."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_feedback_files_per_student(outdir: Path) -> None:
    files = sorted(p.name for p in (outdir / "feedback").iterdir())
    assert files == ["alice.md", "bob.md", "carol.md", "dave.md", "erin.md"]
    bob = (outdir / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert bob.startswith("# HW3: logistic regression — bob\n")
    assert "## ✓ loss — 2 / 2 (correct)" in bob
    assert "## ✗ grad — 0 / 3 (incorrect)" in bob
    assert "## ~ hess — 0.5 / 1 (partial)" in bob
    html = render(bob)
    assert "6 of 12 tests pass<br />\nfirst failure: test_shape" in html.replace("\\", "")
    assert "<h2>✗ grad — 0 / 3 (incorrect)</h2>" in html
    assert bob.index("loss") < bob.index("grad") < bob.index("hess") < bob.index("code")
    assert bob.rstrip().endswith("**Total: 4.5 / 10 (45%)**")
    assert "<strong>Total: 4.5 / 10 (45%)</strong>" in html
    for p in (outdir / "feedback").iterdir():
        text = p.read_text(encoding="utf-8")
        assert SECRET not in text
        assert "f(1+f)" not in text  # answers are not echoed either: only scores and feedback


def test_feedback_file_names_are_sanitised_and_unique(tmp_path: Path) -> None:
    meta = ReportMeta("t", (QuestionInfo("q", 1),))
    ids = ["../evil", "Ann", "ann", "con", "jo hn/smith", ".hidden", "ok_id-1.2"]
    vs = [Verdict(s, "q", 1, 1, "correct", f"feedback for {s}") for s in ids]
    write_outdir(verdict_table(vs, meta), meta, tmp_path / "o")
    fb = tmp_path / "o" / "feedback"
    names = sorted(p.name for p in fb.iterdir())
    assert len(names) == len(ids)
    assert len({n.lower() for n in names}) == len(ids)  # safe on case-insensitive file systems
    assert "ok_id-1.2.md" in names
    assert all(not n.startswith(".") and "/" not in n and " " not in n for n in names)
    assert not (tmp_path / "evil.md").exists() and not (tmp_path / "o" / "evil.md").exists()
    titles = {text_of(render(p.read_text(encoding="utf-8").split("\n")[0])).strip() for p in fb.iterdir()}
    assert "t — ../evil" in titles and "t — jo hn/smith" in titles


HOSTILE = [
    "[click here](http://evil.example/steal)",
    "![pic](http://evil.example/x.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<http://evil.example>",
    "http://evil.example/a and www.evil.example and me@evil.example",
    "**bold** _it_ `code` ~~gone~~ $x^2$",
    "# not a heading",
    "- not a list",
    "1. not a list",
    "> not a quote",
    "    not code",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[ref]: http://evil.example",
    "&lt;b&gt; entity &amp;",
    "```\nfence\n```",
    "a\\\\b \\frac{1}{2}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_student_text_stays_text(text: str) -> None:
    html = render(feedback_markdown(f"your answer: {text}"))
    for tag in ("<a ", "<img", "<script", "<h1", "<h2", "<ul", "<ol", "<blockquote", "<pre",
                "<code", "<strong", "<em", "<table", "<del", "<hr"):
        assert tag not in html, (text, html)
    shown = " ".join(text_of(html).replace("\n", " ").split())
    assert shown == " ".join(f"your answer: {text}".replace("\n", " ").split()), html


def test_caret_diagrams_are_code_blocks() -> None:
    feedback = "unexpected character `_`\n__import__('os')\n^\nfix the name"
    markdown = feedback_markdown(feedback)
    html = render(markdown)
    assert "<pre><code>__import__('os')\n^\n</code></pre>" in html
    assert "<p>unexpected character `_`</p>" in text_of(html) or "unexpected character `_`" in text_of(html)
    assert "<code>_</code>" not in html, "the backticks a student wrote stay backticks"
    # A diagram holding backticks gets a longer fence, so nothing inside can close it.
    tricky = feedback_markdown("bad\n```a```\n   ^")
    assert "<pre><code>```a```\n   ^\n</code></pre>" in render(tricky)
    # A YAML message's caret sits under the column it names (prefix and all).
    yaml_problem = "s.yaml: not valid YAML (line 2, column 8): x\nline 2:   q1: \"\\m\"\n" + " " * 15 + "^\nhint"
    assert "line 2:   q1: &quot;\\m&quot;\n" + " " * 15 + "^\n</code></pre>" in render(feedback_markdown(yaml_problem))


def test_prompts_are_quoted_and_hostile_ids_escaped(tmp_path: Path) -> None:
    meta = ReportMeta("HW *1*", (QuestionInfo("q1.sigmoid", 4, "expression",
                                              "Let f(x) = σ(x). Give df/dx, with x_i and x_j *as given*."),))
    vs = [Verdict("<img src=x onerror=alert(1)>", "q1.sigmoid", 0, 4, "invalid",
                  "unexpected character\n[x](javascript:alert(1))\n^")]
    write_outdir(verdict_table(vs, meta), meta, tmp_path / "o")
    (path,) = (tmp_path / "o" / "feedback").iterdir()
    html = render(path.read_text(encoding="utf-8"))
    assert "<blockquote>\n<p>Let f(x) = σ(x). Give df/dx, with x_i and x_j *as given*.</p>\n</blockquote>" in html
    assert "<h1>HW *1* — &lt;img src=x onerror=alert(1)&gt;</h1>" in html
    assert "<img" not in html and "<a " not in html and "<em>" not in html
    assert "<pre><code>[x](javascript:alert(1))\n^\n</code></pre>" in html


def test_escape_markdown_keeps_every_character() -> None:
    text = r"!\"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ plain 0.5 x_i"
    assert text_of(render(escape_markdown(text))).strip() == text
