"""The hardened-aml CrossGuard policy pack.

``pulumi preview --policy-pack policies`` starts this file (as ``python -m pulumi.policy ADDRESS policies``),
and it serves the Analyzer gRPC protocol until the CLI stops it. It needs only ``pulumi-policy`` (see
``requirements.txt``): it judges the camelCase properties the engine sends, never the azure-native SDK.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from aml_policies.pack import NAME, policies

PolicyPack(
    name=NAME,
    # Each policy carries its catalogue entry's enforcement level; this is only the fallback.
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=policies(),
    description="Hardened Azure Machine Learning: the Well-Architected recommendations of the hardened-aml "
    "catalogue, enforced at preview time.",
)
