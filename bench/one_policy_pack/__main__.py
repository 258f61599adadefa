"""A pack of one trivial policy: the start-up floor the hardened-aml pack is compared with."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def _validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "azure-native:storage:StorageAccount" and args.props.get("allowBlobPublicAccess"):
        report("public blobs", None)


PolicyPack(
    name="one-policy",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[ResourceValidationPolicy(name="no-public-blobs", description="No public blobs.", validate=_validate)],
)
