"""``grader gradescope``: the autograder zip Gradescope's documentation specifies, unpacked into a
fake /autograder tree and run against example submissions; results.json checked against the
documented format (gradescope-autograders.readthedocs.io, "Autograder Specifications")."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from gradebook_course import HW1, ROOT, run
from lms_folders import example, notebook, put

jsonschema = pytest.importorskip("jsonschema")


def _wheel_name() -> str:
    from grader.autograder.wheel import project

    info = project()
    return f"{info.name.replace('-', '_')}-{info.version}-py3-none-any.whl"


WHEEL = _wheel_name()

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
#: results.json as Gradescope documents it; ``score``, ``tests`` and each test's ``name``,
#: ``score``, ``max_score``, ``status`` and ``output`` are what the grader promises.
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": FORMAT,
        "test_output_format": FORMAT,
        "test_name_format": FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "status", "output"],
            "additionalProperties": False,
            "properties": {
                "score": {"type": "number"},
                "max_score": {"type": "number"},
                "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string"},
                "name_format": FORMAT,
                "number": {"type": "string"},
                "output": {"type": "string"},
                "output_format": FORMAT,
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": VISIBILITY,
                "extra_data": {"type": "object"},
            },
        }},
    },
}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    result = run("gradescope", HW1, "-o", path)
    assert result.exit_code == 0, result.output
    assert "after_due_date" in result.stdout
    return path


@pytest.fixture(scope="module")
def installed(package, tmp_path_factory) -> Path:
    """A Python that has grader from the zip's wheel (what setup.sh leaves, without the network:
    the dependencies are this environment's)."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(package) as archive:
        (wheel,) = [n for n in archive.namelist() if n.startswith("wheels/")]
        (target / "wheel").mkdir()
        archive.extract(wheel, target / "wheel")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", target / "lib", target / "wheel" / wheel], check=True,
                   capture_output=True)
    python = target / "python"
    python.write_text(f"#!/bin/sh\nPYTHONPATH={target / 'lib'} exec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    return python


def autograder_root(package: Path, where: Path, files: dict[str, bytes]) -> Path:
    """A fake /autograder: the zip unpacked into source/, run_autograder copied beside it, the
    submission's files in submission/."""
    (where / "source").mkdir(parents=True)
    with zipfile.ZipFile(package) as archive:
        archive.extractall(where / "source")
    for name in ("run_autograder", "setup.sh"):
        (where / "source" / name).chmod(0o755)
    (where / "run_autograder").write_bytes((where / "source" / "run_autograder").read_bytes())
    (where / "run_autograder").chmod(0o755)
    (where / "submission").mkdir()
    for name, content in files.items():
        put(where / "submission" / name, content)
    return where


def run_autograder(root: Path, python: Path) -> dict:
    env = dict(os.environ, GRADER_AUTOGRADER_ROOT=str(root), GRADER_PYTHON=str(python))
    env.pop("PYTHONPATH", None)  # grader must come from the wheel, not this checkout
    done = subprocess.run(["bash", root / "run_autograder"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def test_the_zip_holds_what_gradescope_documents(package, tmp_path):
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert names[:2] == ["setup.sh", "run_autograder"], "both at the zip's root"
    assert "rubric/hw1.yaml" in names and "rubric/hw1_reference.py" in names
    assert [n for n in names if n.startswith("wheels/")] == [f"wheels/{WHEEL}"]
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "pip install --no-cache-dir \"$ROOT\"/source/wheels/*.whl" in setup
    assert "chmod -R go-rwx \"$ROOT/source\"" in setup
    again = tmp_path / "again.zip"
    assert run("gradescope", HW1, "-o", again).exit_code == 0
    assert again.read_bytes() == package.read_bytes(), "the same rubric gives the same zip"


def test_setup_installs_grader_from_the_wheel_never_by_name(package, tmp_path):
    root = autograder_root(package, tmp_path / "ag", {})
    log = tmp_path / "calls"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    fake.chmod(0o755)
    env = dict(os.environ, GRADER_AUTOGRADER_ROOT=str(root), GRADER_PYTHON=str(fake))
    subprocess.run(["bash", root / "source" / "setup.sh"], env=env, check=True, capture_output=True)
    calls = log.read_text().splitlines()
    assert calls[0] == "-m pip --version"
    assert calls[1] == f"-m pip install --no-cache-dir {root}/source/wheels/{WHEEL}"
    assert stat.S_IMODE((root / "source").stat().st_mode) & 0o077 == 0


def test_run_autograder_grades_a_submission(package, installed, tmp_path):
    root = autograder_root(package, tmp_path / "ag", {"answers.yaml": example("alice.yaml"),
                                                       "grads.py": example("alice.py")})
    results = run_autograder(root, installed)
    assert results["score"] == 96
    assert results["visibility"] == "after_due_date" and results["stdout_visibility"] == "hidden"
    assert len(results["tests"]) == 24 and all(t["status"] == "passed" for t in results["tests"])
    assert results["tests"][0]["name"] == "q1.sigmoid" and results["tests"][0]["max_score"] == 4
    assert results["output"].endswith("Total: 96 / 96")
    assert stat.S_IMODE((root / "source").stat().st_mode) & 0o077 == 0


def test_run_autograder_on_wrong_broken_and_notebook_submissions(package, installed, tmp_path):
    carol = run_autograder(autograder_root(package, tmp_path / "c", {"answers.yaml": example("carol.yaml"),
                                                                      "grads.py": example("carol.py")}),
                           installed)
    sigmoid = carol["tests"][0]
    assert (sigmoid["status"], sigmoid["score"]) == ("failed", 0)
    assert sigmoid["output"].startswith("Check the sign"), "feedback, never the key"
    assert "f (1 - f)" not in json.dumps(carol)
    frank = run_autograder(autograder_root(package, tmp_path / "f", {"answers.yaml": example("frank.yaml")}),
                           installed)
    assert frank["score"] == 0 and frank["output"].startswith("Your files could not be read: answers.yaml: "
                                                              "not valid YAML (line ")
    nb = notebook([("markdown", "q1.sigmoid: f(1-f)", []), ("code", example("alice.py").decode(), [])])
    nbres = run_autograder(autograder_root(package, tmp_path / "n", {"hw1.ipynb": nb}), installed)
    assert nbres["score"] == 4 + 28
    empty = run_autograder(autograder_root(package, tmp_path / "e", {}), installed)
    assert empty["score"] == 0 and "no answers file, notebook or .py file" in empty["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the autograder as root; the sandbox "
                                               "then runs student code as another user")
def test_student_code_cannot_read_the_reference(package, installed, tmp_path):
    """The exploit: a submitted function that reads the instructor's reference file."""
    thief = (
        "import numpy as np\n"
        "def gd(alpha, w0, x, y, steps):\n"
        f"    text = open({str(tmp_path / 'ag' / 'source' / 'rubric' / 'hw1_reference.py')!r}).read()\n"
        "    raise RuntimeError(text)\n")
    results = run_autograder(autograder_root(package, tmp_path / "ag", {"grads.py": thief.encode()}), installed)
    gd = next(t for t in results["tests"] if t["name"] == "p4.gd")
    # Hidden by the sandbox's own file system, or refused by the folder's mode without namespaces.
    assert gd["score"] == 0 and ("PermissionError" in gd["output"] or "FileNotFoundError" in gd["output"])
    assert "def gd" not in gd["output"], "the reference's text never comes back"


def test_a_broken_rubric_never_becomes_a_zip(tmp_path):
    bad = put(tmp_path / "bad.yaml", "title: x\nquestions:\n  - {id: q1, kind: expression, points: 1, answer: 'x +'}\n")
    result = run("gradescope", bad, "-o", tmp_path / "a.zip")
    assert result.exit_code == 2 and not (tmp_path / "a.zip").exists()


def test_visibility_comes_from_the_rubric(tmp_path):
    text = HW1.read_text(encoding="utf-8").replace("seed: 2022\n", "seed: 2022\ngradescope: {visibility: visible}\n", 1)
    rubric = put(tmp_path / "hw1.yaml", text)
    put(tmp_path / "hw1_reference.py", (ROOT / "rubrics" / "hw1_reference.py").read_bytes())
    from grader.autograder.results import results_json
    from grader.pipeline import load_rubric
    from grader.verdict import Verdict

    loaded = load_rubric(rubric)
    assert loaded.gradescope.visibility == "visible"
    data = results_json([Verdict("s", "q1.sigmoid", 4, 4, "correct", "correct")], {}, loaded.gradescope.visibility)
    assert data["tests"][0]["visibility"] == "visible"
    jsonschema.validate(data, RESULTS_SCHEMA)
