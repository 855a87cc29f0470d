"""Hostile model, tokenizer and canary files: a clear message and exit code 2, before anything runs."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from tests.text_lm.foreign import bigram_onnx, word_tokenizer_json

DOCS = [f"ticket {i} from customer {i % 7} about order {i * 3} : the parcel was late again and the box "
        f"was damaged , please call back" for i in range(40)]


@pytest.fixture
def files(tmp_path):
    from tokenizers import Tokenizer

    tokenizer = word_tokenizer_json(DOCS)
    tok = Tokenizer.from_str(tokenizer)
    (tmp_path / "model.onnx").write_bytes(bigram_onnx([e.ids for e in tok.encode_batch(DOCS)], tok.get_vocab_size()))
    (tmp_path / "tokenizer.json").write_text(tokenizer)
    (tmp_path / "a.txt").write_text("\n".join(DOCS[:20]))
    (tmp_path / "b.txt").write_text("\n".join(DOCS[20:]))
    return tmp_path, tok.get_vocab_size()


def _audit(path, capsys, **replace) -> tuple[int, str]:
    args = {"--model": "model.onnx", "--tokenizer": "tokenizer.json", "--members": "a.txt", "--non-members": "b.txt"}
    args.update(replace)
    argv = ["text", "audit", "--no-pii", "--quiet"] + [x for k, v in args.items() for x in (k, str(path / v))]
    code = main(argv)
    return code, capsys.readouterr().err


def test_the_clean_files_pass(files, capsys):
    path, _ = files
    code, err = _audit(path, capsys)
    assert code == 0, err


def test_not_an_onnx_file_exits_2(files, capsys):
    path, _ = files
    (path / "bad.onnx").write_bytes(b"\x08\x07garbage" * 10)
    code, err = _audit(path, capsys, **{"--model": "bad.onnx"})
    assert code == 2 and "not an ONNX model" in err


def test_custom_operator_domain_exits_2(files, capsys):
    path, vocab = files
    (path / "custom.onnx").write_bytes(bigram_onnx([[1, 2]], vocab, opset_domain="com.evil"))
    code, err = _audit(path, capsys, **{"--model": "custom.onnx"})
    assert code == 2 and "com.evil" in err


def test_a_kv_cache_input_exits_2_with_the_export_to_use(files, capsys):
    path, vocab = files
    (path / "cache.onnx").write_bytes(bigram_onnx([[1, 2]], vocab, extra_inputs=("past_key_values.0.key",)))
    code, err = _audit(path, capsys, **{"--model": "cache.onnx"})
    assert code == 2 and "text-generation" in err


def test_deeply_nested_tokenizer_exits_2_before_parsing(files, capsys):
    path, _ = files
    (path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, err = _audit(path, capsys, **{"--tokenizer": "deep.json"})
    assert code == 2 and "levels deep" in err


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe not utf-8", "not JSON"),
    (json.dumps({"model": {"type": "Pickle", "vocab": {}}}).encode(), "model type"),
    (json.dumps({"model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(1_000_001)}}}).encode(), "vocabulary"),
])
def test_tokenizer_that_is_not_one_exits_2(files, capsys, content, message):
    path, _ = files
    (path / "tok.json").write_bytes(content)
    code, err = _audit(path, capsys, **{"--tokenizer": "tok.json"})
    assert code == 2 and message in err


def test_tokenizer_larger_than_the_model_vocabulary_exits_2(files, capsys):
    path, _ = files
    (path / "big.json").write_text(word_tokenizer_json(DOCS + [f"extra{i}" for i in range(50)]))
    code, err = _audit(path, capsys, **{"--tokenizer": "big.json"})
    assert code == 2 and "does not belong to this model" in err


def test_canary_file_of_another_kind_exits_2(files, capsys):
    path, _ = files
    (path / "c.json").write_text(json.dumps({"kind": "something", "canaries": []}))
    code, err = _audit(path, capsys, **{"--canaries": "c.json"})
    assert code == 2 and "not a canary file" in err


def test_position_ids_input_is_fed_like_a_hugging_face_export(files, capsys):
    path, vocab = files
    (path / "pos.onnx").write_bytes(bigram_onnx([[1, 2]], vocab, extra_inputs=("position_ids",)))
    code, err = _audit(path, capsys, **{"--model": "pos.onnx"})
    assert code == 0, err


def test_logits_without_a_sequence_axis_exit_2(files, capsys):
    import onnx
    from onnx import TensorProto, helper

    path, vocab = files
    model = onnx.load_from_string(bigram_onnx([[1, 2]], vocab))
    model.graph.node.append(helper.make_node("ReduceMean", ["logits"], ["pooled"], axes=[1], keepdims=0))
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", vocab]))
    model.opset_import[0].version = 17
    (path / "pooled.onnx").write_bytes(model.SerializeToString())
    code, err = _audit(path, capsys, **{"--model": "pooled.onnx"})
    assert code == 2 and "[batch, sequence, vocabulary]" in err


def test_short_documents_skip_the_verbatim_test_with_a_note():
    from tokenizers import Tokenizer

    from analysis.text_lm.audit import AuditSettings, run_text_audit

    docs = [f"order {i} late" for i in range(30)]
    tokenizer = word_tokenizer_json(docs)
    tok = Tokenizer.from_str(tokenizer)
    model = bigram_onnx([e.ids for e in tok.encode_batch(docs[:15])], tok.get_vocab_size())
    result = run_text_audit(model, tokenizer.encode(), docs[:15], docs[15:], pii=False, settings=AuditSettings())
    assert result.verbatim is None
    assert any("Verbatim test skipped" in n for n in result.notes)
