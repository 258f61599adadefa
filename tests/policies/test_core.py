"""The rule machinery: a check names its path once and also describes itself and knows its fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aml_policies import aks
from aml_policies.core import (
    SET_REQUIRED,
    Config,
    Props,
    ResourceRule,
    all_of,
    depending_on,
    described,
    equals,
    not_equal,
    one_of,
    present,
    where_equals,
)
from tests.policies.harness import remediated, violations

TOKEN = "azure-native:storage:StorageAccount"


def _rule(check: Any, **extra: Any) -> ResourceRule:
    return ResourceRule(control="AML-DAT-001", name="test", types=("storage:StorageAccount",), check=check, **extra)


def test_a_rule_takes_its_description_from_its_check() -> None:
    rule = _rule(
        all_of(
            equals("allowBlobPublicAccess", False),
            equals("publicNetworkAccess", "Disabled", default="Enabled"),
            one_of("minimumTlsVersion", ("TLS1_2", "TLS1_3")),
            not_equal("allowCrossTenantReplication", True, why="inside the tenant"),
            present("tags.team"),
        )
    )
    assert rule.description == (
        "allowBlobPublicAccess is false (missing fails); publicNetworkAccess is 'Disabled' (missing fails: Azure's "
        "default is 'Enabled'); minimumTlsVersion is 'TLS1_2' or 'TLS1_3' (missing fails); "
        "allowCrossTenantReplication is not true (inside the tenant; missing passes); tags.team is set."
    )


def test_a_described_condition_starts_the_description() -> None:
    rule = _rule(equals("isHnsEnabled", True), where=where_equals("kind", "StorageV2", "general-purpose v2 accounts"))
    assert rule.description == "general-purpose v2 accounts: isHnsEnabled is true (missing fails)."


def test_a_rule_of_its_own_words_keeps_them() -> None:
    assert _rule(equals("allowBlobPublicAccess", False), description="no anonymous reads.").description == (
        "no anonymous reads."
    )


def test_a_hand_written_check_needs_a_description() -> None:
    def custom(_props: Props, _config: Config) -> Iterator[str]:
        yield from ()

    with pytest.raises(ValueError, match="give a description"):
        _rule(custom)
    with pytest.raises(ValueError, match="give a description"):
        _rule(all_of(equals("allowBlobPublicAccess", False), custom))
    assert _rule(all_of(described("the custom part holds")(custom))).description == "the custom part holds."


def test_a_default_equal_to_the_required_value_lets_a_missing_value_pass() -> None:
    rule = _rule(equals("sshPublicAccess", "Disabled", default="Disabled"))
    assert violations(rule, TOKEN, {}) == []
    assert violations(rule, TOKEN, {"sshPublicAccess": "Enabled"}) == [
        "[AML-DAT-001] sshPublicAccess is 'Enabled'; it must be 'Disabled'"
    ]
    assert rule.description == "sshPublicAccess is 'Disabled' (missing passes: Azure's default is 'Disabled')."


def test_set_required_sets_every_path_the_check_can_fix() -> None:
    rule = _rule(
        all_of(
            equals("allowBlobPublicAccess", False),
            one_of("minimumTlsVersion", ("TLS1_2", "TLS1_3")),
            not_equal("allowCrossTenantReplication", True),
            not_equal("accessTier", "Archive"),  # not a flag: no value to set
            present("tags.team"),  # nothing to set it to
        ),
        remediate=SET_REQUIRED,
    )
    fixed = remediated(rule, TOKEN, {"minimumTlsVersion": "TLS1_0", "accessTier": "Hot"})
    assert fixed == {
        "allowBlobPublicAccess": False,
        "minimumTlsVersion": "TLS1_2",
        "allowCrossTenantReplication": False,
        "accessTier": "Hot",
    }
    assert remediated(rule, TOKEN, {**fixed, "tags": {"team": "t"}}) is None


def test_set_required_needs_a_check_that_knows_a_fix() -> None:
    with pytest.raises(ValueError, match="SET_REQUIRED"):
        _rule(present("tags.team"), remediate=SET_REQUIRED)


def test_depending_on_judges_and_fixes_the_case_the_value_names() -> None:
    check = depending_on(
        "kind",
        {"A": equals("a", "on"), "B": equals("b", "on", default="on")},
    )
    rule = _rule(check, remediate=SET_REQUIRED)
    assert rule.description == "A: a is 'on' (missing fails); B: b is 'on' (missing passes: Azure's default is 'on')."
    assert violations(rule, TOKEN, {"kind": "A"}) == [
        "[AML-DAT-001] a is not set; Azure's default is insecure: set it to 'on'"
    ]
    assert violations(rule, TOKEN, {"kind": "C", "a": "off"}) == []
    assert remediated(rule, TOKEN, {"kind": "A"}) == {"kind": "A", "a": "on"}
    assert remediated(rule, TOKEN, {"kind": "B", "b": "off"}) == {"kind": "B", "b": "on"}


def test_every_node_pool_check_is_judged_on_cluster_pools_and_agent_pools() -> None:
    rules = {r.name: r for r in aks.RULES if isinstance(r, ResourceRule)}
    cluster = {n.removeprefix("cluster-pool-") for n in rules if n.startswith("cluster-pool-")}
    agent = {n.removeprefix("agent-pool-") for n in rules if n.startswith("agent-pool-")}
    assert (
        cluster
        == agent
        == {
            "zones",
            "no-node-public-ip",
            "autoscaling",
            "encryption-at-host",
            "ssh-disabled",
            "min-nodes-scale-sets",
            "max-pods",
        }
    )
    for name in cluster:
        pair = rules[f"cluster-pool-{name}"], rules[f"agent-pool-{name}"]
        assert pair[0].control == pair[1].control
        assert pair[0].types == aks.MANAGED_CLUSTER and pair[1].types == aks.AGENT_POOL
        assert pair[0].description == f"every agentPoolProfiles[] entry: {pair[1].description}"
