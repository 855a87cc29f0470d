"""`privacy-audit scan`: JSON shape, table output, exit code 2 on an unreadable file."""

from __future__ import annotations

import json

from analysis.cli import main


def test_scan_writes_json_with_documented_shape(tmp_path, engine, capsys):
    data = tmp_path / "people.csv"
    data.write_text("name,email,qty\nAda Lovelace,ada@example.com,3\nAlan Turing,alan@example.org,5\n"
                    "Grace Hopper,grace@example.net,8\n", encoding="utf-8")
    out = tmp_path / "scan.json"
    assert main(["scan", str(data), "--sample-rows", "0", "--json", str(out), "--quiet"]) == 0
    payload = json.loads(out.read_text())
    assert payload["rows"] == 3 and payload["seconds"] >= 0
    columns = {c["name"]: c for c in payload["columns"]}
    assert columns["email"]["kind"] == "direct_identifier"
    assert columns["email"]["entities"][0]["type"] == "EMAIL_ADDRESS"
    assert columns["email"]["entities"][0]["prevalence"] == 1.0
    assert columns["qty"]["kind"] == "other" and columns["qty"]["entities"] == []
    assert "ada@example.com" not in out.read_text()  # examples are masked
    printed = capsys.readouterr().out
    assert "email" in printed and "EMAIL_ADDRESS 100%" in printed


def test_unreadable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    assert main(["scan", str(bad)]) == 2
    assert "binary" in capsys.readouterr().err
    assert main(["scan", str(tmp_path / "missing.csv")]) == 2
