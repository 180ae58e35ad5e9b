"""The model card's reproduce commands come from the training records: parsed back by train.py they give
the recorded run's settings, with the training machine's paths replaced by a checkout's."""
from __future__ import annotations

import json
import shlex

from tools.eval import model_card, train
from tools.testkit import REPO_ROOT


def test_the_reproduce_command_parses_back_to_the_recorded_run():
    record = json.loads((REPO_ROOT / "models" / "training" / "plates-v3.train.json").read_text())
    command = model_card.train_command(record, "../shared/models/plates-ref-v2.pt")
    argv = shlex.split(command.replace("\\\n", " "))[3:]          # after ".venv-train/bin/python -m tools.eval.train"
    assert all(len(line) <= 112 for line in command.splitlines())
    parsed = vars(train.parse_args(argv))
    for key, value in record["args"].items():
        if key in model_card.NOT_REPEATED:
            continue
        expected = model_card.REPRODUCE_PATHS.get(key, value)
        assert str(parsed[key]) == str(expected), key
    assert str(parsed["weights"]) == "../shared/models/plates-ref-v2.pt"
    assert "/tmp/" not in command, "no path of the training machine"
