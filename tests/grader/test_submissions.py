"""Reading a submission: renamed notebooks, checkpoints, Gradescope's learner id."""
from __future__ import annotations

import json

from lstm_course.grading import submissions
from lstm_course.grading.gradescope import learner_id

from .conftest import nb_members, notebooks, write_folder, write_zip


def folder_with(tmp_path, renames: dict[str, str], extra: dict[str, dict] | None = None):
    nbs = notebooks()
    files = {renames.get(name, name): nb for name, nb in nbs.items()}
    files.update(extra or {})
    return write_folder(tmp_path / "ann", files)


def test_a_renamed_notebook_is_graded_and_the_feedback_says_so(tmp_path):
    sub = submissions.read("ann", folder_with(tmp_path, {"06_math.ipynb": "06_math (1).ipynb"}))
    assert "06_math.ipynb" in sub.notebooks
    assert "found '06_math (1).ipynb'; expected '06_math.ipynb': graded it as 06_math.ipynb" in " ".join(sub.notes)
    assert submissions.exercises(sub)["lstm_backward"].source is not None


def test_common_renamings_are_recognised(tmp_path):
    for k, found in enumerate(("Copy of 02_forget_gate.ipynb", "02_forget_gate-Copy1.ipynb", "02_Forget_Gate.ipynb",
                               "forget_gate.ipynb", "02-forget-gate (2).ipynb")):
        sub = submissions.read("ann", folder_with(tmp_path / str(k), {"02_forget_gate.ipynb": found}))
        assert "02_forget_gate.ipynb" in sub.notebooks, found


def test_an_ambiguous_match_is_not_graded_and_both_files_are_named(tmp_path):
    nbs = notebooks()
    folder = folder_with(tmp_path, {"06_math.ipynb": "06_math (1).ipynb"}, {"06_math (2).ipynb": nbs["06_math.ipynb"]})
    sub = submissions.read("ann", folder)
    assert "06_math.ipynb" not in sub.notebooks
    reason = submissions.exercises(sub)["lstm_backward"].reason
    assert "06_math.ipynb is not in the submission; found '06_math (1).ipynb' and '06_math (2).ipynb'" in reason
    assert "submit one of them, named '06_math.ipynb'" in reason


def test_a_file_that_could_be_two_notebooks_is_not_used(tmp_path):
    nbs = notebooks()
    folder = folder_with(tmp_path, {"03_input_gate.ipynb": "forget_gate and input_gate.ipynb"})
    sub = submissions.read("ann", folder)
    assert "03_input_gate.ipynb" not in sub.notebooks and nbs  # matches 02's and 03's names: ambiguous
    assert "'forget_gate and input_gate.ipynb' do not look like it" in submissions.exercises(sub)["input_gate"].reason


def test_the_exact_name_wins_over_a_copy(tmp_path):
    nbs = notebooks()
    sub = submissions.read("ann", folder_with(tmp_path, {}, {"06_math (1).ipynb": nbs["06_math.ipynb"]}))
    assert sub.notebooks["06_math.ipynb"] == json.dumps(nbs["06_math.ipynb"]).encode()
    assert "found '06_math (1).ipynb' besides '06_math.ipynb'; graded '06_math.ipynb'" in " ".join(sub.notes)


def test_checkpoints_and_resource_forks_are_not_notebooks(tmp_path):
    nbs = notebooks()
    members = nb_members(nbs, skip=("06_math.ipynb",)) + [
        (".ipynb_checkpoints/06_math-checkpoint.ipynb", json.dumps(nbs["06_math.ipynb"]).encode(), 0o100644),
        ("__MACOSX/._06_math.ipynb", b"\x00\x05\x16\x07", 0o100644)]
    sub = submissions.read("ann", write_zip(tmp_path / "ann.zip", members))
    assert "06_math.ipynb" not in sub.notebooks
    assert submissions.exercises(sub)["lstm_backward"].reason.startswith("06_math.ipynb is not in the submission")


def test_renamed_notebooks_in_a_zip(tmp_path):
    nbs = notebooks()
    members = nb_members(nbs, skip=("07_why_hidden_output.ipynb",)) + [
        ("work/07_why_hidden_output (3).ipynb", json.dumps(nbs["07_why_hidden_output.ipynb"]).encode(), 0o100644)]
    sub = submissions.read("ann", write_zip(tmp_path / "ann.zip", members))
    assert "07_why_hidden_output.ipynb" in sub.notebooks


def test_gradescope_grades_as_the_user_id_of_the_metadata(tmp_path):
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"id": 1, "users": [{"email": "b@x", "id": 5678, "name": "B"},
                                                   {"email": "a@x", "id": 1234, "name": "A"}]}))
    assert learner_id(meta) == "1234+5678"  # a group: every member, in a fixed order
    meta.write_text(json.dumps({"users": [{"id": 42}]}))
    assert learner_id(meta) == "42" and submissions.LEARNER_ID.fullmatch("1234+5678")
    meta.write_text("not json")
    assert learner_id(meta) == "submission" and learner_id(tmp_path / "missing.json") == "submission"
