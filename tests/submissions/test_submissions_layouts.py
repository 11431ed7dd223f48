"""LMS downloads as class folders: Canvas, Moodle and Gradescope name students' files their own
way (tests/lms_folders.py builds them as each LMS documents); each student is one submission."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lms_folders import (EXAMPLES, canvas_download, gradescope_export, moodle_download, put)

from grader.rubric import peek_question_ids
from grader.submissions import find_submissions, scan_submissions
from grader.submissions.layouts import detect_layout, original_name

HW1 = Path(__file__).resolve().parents[2] / "rubrics" / "hw1.yaml"
IDS = peek_question_ids(HW1)


def by_student(intake):
    return {s.student: s for s in intake.submissions}


# -- Canvas -------------------------------------------------------------------------------------
def test_a_canvas_download_is_one_submission_per_user_id(tmp_path):
    intake = scan_submissions(canvas_download(tmp_path), question_ids=IDS)
    assert (intake.layout, intake.detected) == ("canvas", True)
    subs = by_student(intake)
    assert list(subs) == ["12345", "23456", "34567", "anon_Qx9Zp"]
    smith = subs["12345"]
    assert len(smith.answers) == 17 and smith.problem == ""
    assert smith.code_files == (("hw1_code.py", (EXAMPLES / "alice.py").read_bytes()),), \
        "the module keeps the name its student gave it"
    assert [p.name for p in smith.code] == ["smithjohn_LATE_12345_67891_hw1_code.py"]
    assert smith.late, "one LATE file marks the submission late"
    assert smith.submitted_at is None, "Canvas's names say late, not when"
    assert smith.identity == {"lms_id": "12345", "name": "smithjohn"}
    assert smith.source == ("smithjohn_12345_67890_hw1.yaml", "smithjohn_12345_67892_scratch-work.pdf",
                            "smithjohn_LATE_12345_67891_hw1_code.py")
    assert "12345: not read: scratch-work.pdf" in intake.notes


def test_canvas_resubmission_suffixes_text_entry_and_anonymous_grading(tmp_path):
    subs = by_student(scan_submissions(canvas_download(tmp_path), question_ids=IDS))
    jane = subs["23456"]
    assert jane.answers["q1.sigmoid"] == "f(1 + f)", "answers-1.yaml is answers.yaml resubmitted"
    assert jane.code_files[0][0] == "grads.py" and not jane.late
    bruce = subs["34567"]
    assert bruce.answers == {"q1.sigmoid": "f(1 - f)", "q2.quadratic_shape": "n x 1",
                             "q4.boundary_a2": "oscillates"}, "the text entry box, read as an answers file"
    anon = subs["anon_Qx9Zp"]
    assert anon.late and anon.answers == {"q1.sigmoid": "f (1 - f)"} and anon.identity == {"lms_id": "anon_Qx9Zp"}


@pytest.mark.parametrize(("name", "expected"), [
    ("hw1-1.yaml", "hw1.yaml"), ("grads-12.py", "grads.py"), ("hw1.yaml", "hw1.yaml"),
    ("my-notes.md", "my-notes.md"), ("data-2", "data"), ("a-b-3.ipynb", "a-b.ipynb")])
def test_canvas_resubmission_names(name, expected):
    assert original_name(name) == expected


def test_canvas_resubmitted_names_that_would_clash_stay_apart(tmp_path):
    put(tmp_path / "smithjohn_12345_1_grads.py", "A = 1\n")
    put(tmp_path / "smithjohn_12345_2_grads-1.py", "B = 2\n")
    (sub,) = find_submissions(tmp_path)
    assert [name for name, _ in sub.code_files] == ["grads.py", "grads-1.py"]


def test_a_canvas_student_with_only_unreadable_files_is_an_invalid_row(tmp_path):
    put(tmp_path / "smithjohn_12345_1_hw1.pdf", b"%PDF")
    put(tmp_path / "doejane_23456_2_answers.yaml", "answers:\n  q1: x\n")
    subs = by_student(scan_submissions(tmp_path))
    assert subs["12345"].problem == "the submission has no answers file, notebook or .py file (found hw1.pdf)"
    assert subs["23456"].problem == ""


def test_stray_files_in_a_canvas_download_are_read_as_in_a_plain_folder(tmp_path):
    canvas_download(tmp_path)
    put(tmp_path / "late_additions" / "answers.yaml", "answers:\n  q1.sigmoid: x\n")
    intake = scan_submissions(tmp_path)
    assert intake.layout == "canvas"
    assert by_student(intake)["late_additions"].answers == {"q1.sigmoid": "x"}
    assert any("not named as Canvas names downloads" in n and "late_additions" in n for n in intake.notes)


# -- Moodle -------------------------------------------------------------------------------------
@pytest.mark.parametrize("folders", [True, False], ids=["in folders", "flat"])
def test_a_moodle_download(tmp_path, folders):
    intake = scan_submissions(moodle_download(tmp_path, folders), question_ids=IDS)
    assert intake.layout == "moodle"
    subs = by_student(intake)
    assert list(subs) == ["12345", "23456", "34567"]
    assert subs["12345"].identity == {"lms_id": "12345", "name": "John Smith"}
    assert len(subs["12345"].answers) == 17 and subs["12345"].code_files[0][0] == "grads.py"
    assert subs["23456"].answers["q1.sigmoid"] == "f(1 - f)"
    assert subs["34567"].answers["q1.sigmoid"] == "f (1 + f)", "online text"
    if folders:
        assert subs["23456"].answers["q2.quadratic"] == "\\left(A + A^\\top\\right) x + z"
        assert subs["34567"].answers["q4.boundary_a2"] == "diverges"


def test_moodle_file_and_onlinetext_folders_of_one_participant_are_one_submission(tmp_path):
    put(tmp_path / "John Smith_12345_assignsubmission_file_" / "grads.py", "X = 1\n")
    put(tmp_path / "John Smith_12345_assignsubmission_onlinetext_" / "onlinetext.html",
        "<h2>q1.sigmoid</h2><p>f(1 - f)</p>")
    put(tmp_path / "Ann Lee_777_assignsubmission_onlinetext_" / "onlinetext.html",
        "<p>I could not do it, sorry.</p>")
    subs = by_student(scan_submissions(tmp_path, question_ids={"q1.sigmoid"}))
    assert subs["12345"].answers == {"q1.sigmoid": "f(1 - f)"}
    assert [n for n, _ in subs["12345"].code_files] == ["grads.py"]
    assert subs["777"].problem.startswith("onlinetext.html: the online text is not an answers file")


# -- Gradescope ---------------------------------------------------------------------------------
def test_a_gradescope_export_with_a_group_submission(tmp_path):
    intake = scan_submissions(gradescope_export(tmp_path), question_ids=IDS)
    assert intake.layout == "gradescope" and intake.notes == ()
    subs = by_student(intake)
    assert list(subs) == ["12345", "a1", "b2", "c3"], "students by their sid"
    assert subs["a1"].answers == subs["b2"].answers and subs["a1"].group == "submission_1002"
    assert subs["a1"].identity == {"sid": "a1", "email": "ann@example.edu", "name": "Ann Able"}
    assert subs["12345"].submitted_at.isoformat() == "2024-02-01T23:30:00-05:00"
    assert subs["c3"].submitted_at.isoformat() == "2024-02-02T00:10:00-05:00"
    assert subs["12345"].group == "" and [n for n, _ in subs["12345"].code_files] == ["grads.py"]


def test_gradescope_metadata_gaps_are_noted(tmp_path):
    gradescope_export(tmp_path)
    put(tmp_path / "submission_2000" / "answers.yaml", "answers:\n  q1.sigmoid: x\n")
    put(tmp_path / "submission_metadata.yml", (tmp_path / "submission_metadata.yml").read_text()
        + "submission_3000:\n  :submitters:\n  - :name: No Files\n    :sid: z9\n")
    intake = scan_submissions(tmp_path)
    subs = by_student(intake)
    assert "submission_2000" in subs, "a folder the metadata does not list keeps its folder name"
    assert any("lists 1 submission(s) with no folder: submission_3000" in n for n in intake.notes)


@pytest.mark.parametrize("metadata", [
    "a: &x [1]\nb: *x\n",                               # aliases are refused
    "!ruby/object:Submission {a: 1}\n",                 # a Ruby tag stays data
    "{unclosed\n",
    b"\xff\xfe not text",
])
def test_unusable_gradescope_metadata_costs_only_the_names(tmp_path, metadata):
    put(tmp_path / "submission_1" / "answers.yaml", "answers:\n  q1: x\n")
    put(tmp_path / "submission_metadata.yml", metadata)
    intake = scan_submissions(tmp_path)
    assert intake.layout == "gradescope"
    assert [s.student for s in intake.submissions] == ["submission_1"]
    assert intake.submissions[0].answers == {"q1": "x"}


def test_a_student_folder_holding_one_folder_is_read_inside_it(tmp_path):
    """Unzipping hw1.zip into a Gradescope or Moodle folder leaves one more level."""
    put(tmp_path / "submission_metadata.yml", "submission_1:\n  :submitters:\n  - :sid: s1\n")
    put(tmp_path / "submission_1" / "hw1" / "answers.yaml", "answers:\n  q1: x\n")
    put(tmp_path / "submission_1" / "hw1" / "grads.py", "X = 1\n")
    (sub,) = find_submissions(tmp_path)
    assert sub.student == "s1" and sub.answers == {"q1": "x"} and sub.code_files[0][0] == "grads.py"


def test_a_student_in_two_gradescope_groups_is_graded_once(tmp_path):
    put(tmp_path / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n  - :sid: s1\n  - :sid: s2\n  :created_at: 2024-01-01 10:00:00 +00:00\n"
        "submission_2:\n  :submitters:\n  - :sid: s1\n  :created_at: 2024-01-02 10:00:00 +00:00\n")
    put(tmp_path / "submission_1" / "answers.yaml", "answers:\n  q1: old\n")
    put(tmp_path / "submission_2" / "answers.yaml", "answers:\n  q1: new\n")
    intake = scan_submissions(tmp_path)
    subs = by_student(intake)
    assert subs["s1"].answers == {"q1": "new"}, "the later submission"
    assert subs["s2"].answers == {"q1": "old"}
    assert any(n.startswith("s1 has 2 submissions: graded submission_2") for n in intake.notes)


# -- detection ------------------------------------------------------------------------------------
def test_the_example_folder_is_plain(submissions_dir):
    intake = scan_submissions(submissions_dir)
    assert intake.layout == "plain" and intake.detected


def test_detection_follows_most_entries(tmp_path):
    names = [("smithjohn_1_2_a.yaml", "file"), ("doejane_3_4_b.py", "file"), ("bob.yaml", "file")]
    assert detect_layout(names) == "canvas"
    assert detect_layout(names + [("carl.yaml", "file"), ("dan.yaml", "file")]) == "plain"
    assert detect_layout([("A B_1_assignsubmission_file_", "folder")]) == "moodle"
    assert detect_layout([("submission_metadata.yml", "file")]) == "gradescope"
    assert detect_layout([("submission_12", "folder"), ("submission_13", "folder")]) == "gradescope"


def test_an_explicit_layout_is_used_as_given(tmp_path):
    canvas_download(tmp_path)
    plain = scan_submissions(tmp_path, layout="plain")
    assert plain.layout == "plain" and not plain.detected
    assert "smithjohn_12345_67890_hw1" in by_student(plain)
    with pytest.raises(ValueError, match="unknown layout"):
        scan_submissions(tmp_path, layout="blackboard")


# -- hostile entries ------------------------------------------------------------------------------
def test_a_canvas_named_symlink_refuses_the_submission(tmp_path):
    secret = put(tmp_path.parent / "secret_answers.yaml", "answers:\n  q1.sigmoid: f (1 - f)\n")
    put(tmp_path / "doejane_23456_2_answers.yaml", "answers:\n  q1: x\n")
    os.symlink(secret, tmp_path / "smithjohn_12345_1_answers.yaml")
    subs = by_student(scan_submissions(tmp_path))
    assert subs["12345"].answers == {} and "symbolic link" in subs["12345"].problem
    assert subs["12345"].code_problem == subs["12345"].problem


def test_background_reading_gives_the_same_lms_intake(tmp_path):
    from grader.submissions import scan_submissions_in_background

    gradescope_export(tmp_path)
    assert scan_submissions_in_background(tmp_path, "auto", IDS)() == scan_submissions(tmp_path, "auto", IDS)


def test_two_canvas_uploads_with_one_name_both_stay(tmp_path):
    put(tmp_path / "smithjohn_12345_1_grads.py", "A = 1\n")
    put(tmp_path / "smithjohn_12345_2_grads.py", "B = 2\n")
    (sub,) = find_submissions(tmp_path)
    assert [name for name, _ in sub.code_files] == ["smithjohn_12345_1_grads.py", "smithjohn_12345_2_grads.py"]


def test_derived_code_goes_to_the_sandbox_under_the_students_own_name(tmp_path):
    """A Canvas file is run as the module its student named (`import hw1_code` works), from the
    bytes read with the submission."""
    from grader.pipeline import grade, load

    put(tmp_path / "class" / "smithjohn_12345_1_hw1_code-2.py", "import hw1_code\n"
        "def sigmoid_grad(x):\n    return hw1_code.__name__ and x * 0\n")
    (sub,) = find_submissions(tmp_path / "class")
    assert [name for name, _ in sub.code_files] == ["hw1_code.py"]
    rubric = tmp_path / "r.yaml"
    put(rubric, "title: t\nquestions:\n  - {id: p.sigmoid_grad, kind: function, points: 1, "
                "args: {x: {shape: [n]}}, answer: '0 x'}\n")
    (verdict,) = grade(*load(rubric)[:1], [sub], load(rubric)[1])
    assert verdict.status == "correct", verdict.feedback


def test_a_canvas_upload_unzipped_in_place_belongs_to_its_student(tmp_path):
    put(tmp_path / "smithjohn_12345_67890_hw1.yaml", "answers:\n  q1: x\n")
    put(tmp_path / "smithjohn_12345_67891_code" / "grads.py", "A = 1\n")
    put(tmp_path / "doejane_23456_70001_answers.yaml", "answers:\n  q1: y\n")
    (smith, jane) = find_submissions(tmp_path)
    assert smith.student == "12345" and smith.answers == {"q1": "x"}
    assert smith.code_files == (("grads.py", b"A = 1\n"),)
    assert jane.student == "23456"
