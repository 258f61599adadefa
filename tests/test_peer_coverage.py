"""The peer coverage table (``policies/aml_catalogue/peers.toml``): well formed, every cover a real pack policy, and
``docs/peer-coverage.md`` generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aml_policies.pack import rules
from hardened_aml_cli import docs, peers
from hardened_aml_cli.peers import PeersError, parse, render, unknown_policies
from tests.conftest import ROOT

SOURCE = """
[[source]]
peer = "checkov"
repository = "bridgecrewio/checkov"
commit = "03d5fdad8d6154b1565799a7b1fb8070c158866f"
paths = ["checkov/arm/checks/resource/"]
scope = "every ARM check"
"""


def _rule(**fields: str) -> str:
    base = {"peer": "checkov", "id": "CKV_AZURE_3", "name": "https", "type": "Microsoft.Storage/storageAccounts"}
    base.update(fields)
    body = "\n".join(f"{k} = {v}" if v.startswith("[") else f'{k} = "{v}"' for k, v in base.items())
    return f"[[rule]]\n{body}\n"


@pytest.fixture(scope="module")
def pack_names() -> set[str]:
    """The pack's policy names, read from its rules over the same route the docs writer takes."""
    names = peers.pack_policy_names(ROOT / "policies")
    assert names == {r.policy_name for r in rules()}
    return names


@pytest.fixture(scope="module")
def table() -> peers.Peers:
    return peers.load(ROOT)


def test_every_cover_names_a_policy_of_the_pack(table: peers.Peers, pack_names: set[str]) -> None:
    assert unknown_policies(table, pack_names) == []


def test_a_cover_naming_a_policy_the_pack_lacks_is_refused(pack_names: set[str]) -> None:
    table = parse(SOURCE + _rule(covered_by='["aml-enc-002-storage-secure-transfer", "aml-enc-999-made-up"]'))
    assert unknown_policies(table, pack_names) == [
        "checkov CKV_AZURE_3: covered_by names 'aml-enc-999-made-up', which is not a policy of the pack"
    ]
    with pytest.raises(PeersError, match="aml-enc-999-made-up"):
        render(table, pack_names)


def test_every_rule_has_a_cover_or_a_reason_and_ids_are_unique(table: peers.Peers) -> None:
    assert all((r.covered_by is None) != (r.reason is None) for r in table.rule)
    keys = [(r.peer, r.id) for r in table.rule]
    assert len(keys) == len(set(keys))
    assert {r.peer for r in table.rule} == {"azure-policy", "checkov", "psrule"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"covered_by": '["aml-enc-002-storage-secure-transfer"]', "reason": "x"}, "exactly one of covered_by"),
        ({}, "exactly one of covered_by"),
        (
            {"reason": "r", "colour": "blue"},
            r"rule #1 \(CKV_AZURE_3\): colour: Extra inputs are not permitted \(the value is 'blue'\)",
        ),
        ({"reason": "r", "id": "CKV_AWS_1"}, "is not a checkov id"),
        ({"reason": "r", "ref": "AZR-000001"}, "belongs to PSRule rules only"),
        ({"reason": "r", "type": "Microsoft.Sql/servers"}, "in none of the families"),
        ({"covered_by": "[]"}, "covered_by"),
    ],
)
def test_malformed_rules_are_refused_in_words(extra: dict[str, str], message: str) -> None:
    with pytest.raises(PeersError, match=message):
        parse(SOURCE + _rule(**extra))


def test_repeated_ids_and_rules_without_a_source_are_refused() -> None:
    with pytest.raises(PeersError, match="repeated: checkov CKV_AZURE_3"):
        parse(SOURCE + _rule(reason="r") + _rule(reason="again"))
    with pytest.raises(PeersError, match="rules of a peer with no source: psrule"):
        parse(SOURCE + _rule(reason="r") + _rule(peer="psrule", id="Azure.Storage.MinTLS", reason="r"))


def test_gaps_render_in_bold_and_covers_link_the_policy_reference(pack_names: set[str]) -> None:
    table = parse(
        SOURCE
        + _rule(covered_by='["aml-enc-002-storage-secure-transfer"]')
        + _rule(id="CKV_AZURE_36", reason="gap: not yet covered (issue 15)")
    )
    text = render(table, pack_names)
    assert "[`aml-enc-002-storage-secure-transfer`](policies.md#aml-enc-002-storage-secure-transfer)" in text
    assert "**gap: not yet covered (issue 15)**" in text
    assert "| Storage | `Microsoft.Storage/storageAccounts` | 2 (1 / 1 / 0) | 2 (1 / 1 / 0) |" in text


def test_the_coverage_document_is_generated_and_fresh(pack_names: set[str], table: peers.Peers) -> None:
    assert "docs/peer-coverage.md" in docs.DOCUMENTS
    committed = (ROOT / "docs/peer-coverage.md").read_text(encoding="utf-8")
    assert committed == render(table, pack_names), "run `hardened-aml docs` and commit the result"


def test_the_data_file_lives_where_the_module_reads_it() -> None:
    assert (ROOT / peers.DATA).is_file()
    assert Path(peers.DATA).parts[:2] == ("policies", "aml_catalogue")


def test_a_missing_table_is_an_error_in_words(tmp_path: Path) -> None:
    with pytest.raises(PeersError, match=r"peers.toml: cannot be read"):
        peers.load(tmp_path)


def test_the_docs_command_reports_a_bad_table_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hardened_aml_cli import main

    monkeypatch.setattr(docs, "DOCUMENTS", {"docs/peer-coverage.md": docs.DOCUMENTS["docs/peer-coverage.md"]})
    monkeypatch.setattr(peers, "load", lambda root: parse(SOURCE + _rule()))
    assert main.main(["docs", "--check", "--project-dir", str(ROOT)]) == main.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("hardened-aml: error: policies/aml_catalogue/peers.toml: rule #1 (CKV_AZURE_3)")
    assert "exactly one of covered_by" in err and "Traceback" not in err
