"""Find and read students' submissions: ``find`` walks a class folder, ``files`` reads its
entries without following links or waiting on special files, ``yamlfile`` reads answers YAML."""

from grader.submissions.find import (
    ANSWER_SUFFIXES,
    CODE_SUFFIX,
    MAX_CODE_BYTES,
    NOT_SUBMISSIONS,
    Intake,
    NoSubmissionsError,
    Submission,
    find_submissions,
    find_submissions_in_background,
    load_submission,
    scan_submissions,
    scan_submissions_in_background,
)
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
    "MAX_CODE_BYTES",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_LIST",
    "NOT_SUBMISSIONS",
    "Intake",
    "NoSubmissionsError",
    "Submission",
    "find_submissions",
    "find_submissions_in_background",
    "is_blank",
    "load_submission",
    "parse_answers",
    "read_answers",
    "scan_submissions",
    "scan_submissions_in_background",
]
