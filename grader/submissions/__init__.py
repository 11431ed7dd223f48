"""Find and read students' submissions: ``find`` walks a class folder (plain, or an LMS's
download: ``layouts``), ``reading`` decides which files hold answers and code, ``files`` reads
entries without following links or waiting on special files, ``yamlfile``, ``answerstext`` and
``notebook`` read answers YAML, plain-text answers and Jupyter notebooks, ``identity`` puts
roster ids on submissions, ``template`` writes a
notebook for students."""

from grader.submissions.find import (
    ANSWER_SUFFIXES,
    CODE_SUFFIX,
    MAX_CODE_BYTES,
    NOT_SUBMISSIONS,
    describe_layout,
    find_submissions,
    find_submissions_in_background,
    load_checkable,
    load_submission,
    scan_submissions,
    scan_submissions_in_background,
)
from grader.submissions.layouts import LAYOUTS
from grader.submissions.submission import Intake, NoSubmissionsError, Submission
from grader.submissions.yamlfile import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_LIST,
    is_blank,
    parse_answers,
    read_answers,
)

__all__ = [
    "ANSWER_SUFFIXES",
    "CODE_SUFFIX",
    "LAYOUTS",
    "MAX_CODE_BYTES",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_LIST",
    "NOT_SUBMISSIONS",
    "Intake",
    "NoSubmissionsError",
    "Submission",
    "describe_layout",
    "find_submissions",
    "find_submissions_in_background",
    "is_blank",
    "load_checkable",
    "load_submission",
    "parse_answers",
    "read_answers",
    "scan_submissions",
    "scan_submissions_in_background",
]
