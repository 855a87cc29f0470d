"""The parts a user reads figures from: canary kit, the blind baseline, Min-K%, the JSON depth check."""

from __future__ import annotations

import numpy as np

from analysis.cli import main
from analysis.text_lm.attacks import lowest_k_mean
from analysis.text_lm.baseline import blind_baseline
from analysis.text_lm.canaries import read_kit
from analysis.text_lm.tokenizer import _max_depth


def test_canary_kit_writes_lines_to_add_and_secrets_to_keep(tmp_path):
    assert main(["text", "canaries", "--out", str(tmp_path), "--repeats", "1,4", "--per-repeat", "2"]) == 0
    lines = (tmp_path / "canary_lines.txt").read_text().splitlines()
    kit = read_kit((tmp_path / "canaries.json").read_bytes(), "canaries.json")
    inserted = [c for c in kit.canaries if c.repeats]
    assert len(lines) == 2 * 1 + 2 * 4
    assert all(lines.count(c.text) == c.repeats for c in inserted)
    controls = [c for c in kit.canaries if c.repeats == 0]
    assert controls and not any(c.text in lines for c in controls)


def test_blind_baseline_near_chance_on_a_random_split_and_high_on_a_shifted_one():
    rng = np.random.default_rng(0)
    topics = {"billing": "invoice refund charge card", "delivery": "parcel courier late address"}
    docs = {k: [" ".join(rng.choice(v.split(), size=6)) + f" case {i}" for i in range(150)] for k, v in topics.items()}
    pool = docs["billing"] + docs["delivery"]
    order = rng.permutation(len(pool))
    random_split = blind_baseline([pool[i] for i in order[:150]], [pool[i] for i in order[150:]])
    shifted = blind_baseline(docs["billing"], docs["delivery"])
    assert abs(random_split.auc - 0.5) < 0.1
    assert shifted.auc > 0.95


def test_min_k_averages_the_lowest_share_of_each_documents_real_tokens():
    values = np.array([[-1.0, -5.0, -2.0, -9.0, 0.0], [-3.0, -1.0, 0.0, 0.0, 0.0]])
    counts = np.array([4, 2])
    assert lowest_k_mean(values, counts, k=0.5).tolist() == [-7.0, -3.0]


def test_json_depth_ignores_brackets_inside_strings():
    assert _max_depth(b'{"a": ["[[[[", {"b": "]]}}"}]}') == 3
