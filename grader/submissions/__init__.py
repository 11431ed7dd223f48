"""Find and read students' submissions: ``find`` walks a class folder, ``yamlfile`` reads the
answers YAML."""

from grader.submissions.find import (
    ANSWER_SUFFIXES,
    CODE_SUFFIX,
    Submission,
    find_submissions,
    find_submissions_in_background,
    load_submission,
)
from grader.submissions.yamlfile import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_LIST,
    is_blank,
    read_answers,
)

__all__ = [
    "ANSWER_SUFFIXES",
    "CODE_SUFFIX",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_LIST",
    "Submission",
    "find_submissions",
    "find_submissions_in_background",
    "is_blank",
    "load_submission",
    "read_answers",
]
