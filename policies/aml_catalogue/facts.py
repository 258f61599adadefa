"""Facts about Azure and about this estate that both the components and the pack use: written once, here.

Standard library only (this package is the pack's leaf; see ``__init__``).
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = [
    "CMK_KEY_SIZE",
    "CMK_KEY_TYPE",
    "GEO_ZONE_REDUNDANT_SKUS",
    "HSM_KEY_TYPES",
    "IDLE_SHUTDOWN_MAX",
    "IDLE_SHUTDOWN_MIN",
    "IDLE_SHUTDOWN_RANGE_TEXT",
    "IMAGE_CLEANER_INTERVAL_HOURS",
    "IMAGE_EPOCH_TAG",
    "INTERRUPTIBLE_TAG",
    "KEY_EXPIRY_EVENTS",
    "KEY_NEAR_EXPIRY_EVENT",
    "KEY_VAULT_TOPIC_TYPE",
    "KMS_KEY_EXPIRY",
    "KMS_ROTATE_BEFORE_EXPIRY",
    "MAINTENANCE_WINDOW_HOURS",
    "MANAGED_NETWORK_TAG",
    "MIN_POOL_NODES",
    "MIN_POOL_PODS",
    "MIN_RSA_KEY_SIZE",
    "MONITOR_ALERT_ENDPOINT",
    "MONITOR_ALERT_SCHEMA",
    "SUPPORTED_UPGRADE_CHANNELS",
    "ZONE_REDUNDANT_SKUS",
    "all_ports",
    "broad_service_tag",
    "calendar_duration",
    "parse_duration",
    "wildcard_fqdn",
]

#: Service tags that stand for the whole internet or every Azure service (regional forms such as
#: ``AzureCloud.westeurope`` included): an outbound rule to one of them undoes approved outbound (AML-NET-014).
BROAD_SERVICE_TAGS = ("Internet", "AzureCloud")
#: A service-tag rule's ``portRanges`` that mean every port.
ALL_PORTS = ("*", "0-65535", "1-65535")


def broad_service_tag(tag: str) -> bool:
    """Whether a service tag (compared ignoring case, as Azure reads it) is the internet or all of Azure."""
    return tag.strip().split(".")[0].lower() in {t.lower() for t in BROAD_SERVICE_TAGS}


def all_ports(ports: str) -> bool:
    """Whether a ``portRanges`` value opens every port."""
    return ports.replace(" ", "") in ALL_PORTS


def wildcard_fqdn(destination: str) -> bool:
    """Whether an FQDN rule's destination is ``*``, a bare name or a wildcard over a top-level domain."""
    bare = destination.strip()
    return bare in ("*", "") or len(bare.removeprefix("*.").split(".")) < 2


#: The tag that marks low-priority compute or a deployment as intentionally interruptible (AML-REL-005): the
#: components set it for ``VmTier.LOW_PRIORITY_INTERRUPTIBLE``, the pack accepts low priority only with it.
INTERRUPTIBLE_TAG = "hardened-aml/interruptible"
#: The tag with which a compute component states that its workspace, outside the stack, uses a managed network
#: (its ``workspace_managed_network`` input): the pack reads it when it cannot see the workspace (AML-NET-011).
#: Azure checks the claim at deploy: a compute without a subnet or public IP in a workspace without a managed
#: network is refused.
MANAGED_NETWORK_TAG = "hardened-aml/workspace-managed-network"
#: The tag holding the start of a compute instance's current rebuild cycle; a change replaces it (AML-GOV-007).
IMAGE_EPOCH_TAG = "hardened-aml/image-epoch"

#: Azure's accepted range of a compute instance's ``idleTimeBeforeShutdown``: pulumi-azure-native 3.29.0
#: ``machinelearningservices/_inputs.py`` ``ComputeInstancePropertiesArgs``: "Time is defined in ISO8601 format.
#: Minimum is 15 min, maximum is 3 days" (AML-CMP-002).
IDLE_SHUTDOWN_MIN = timedelta(minutes=15)
IDLE_SHUTDOWN_MAX = timedelta(days=3)
IDLE_SHUTDOWN_RANGE_TEXT = "an ISO-8601 duration from PT15M to P3D"

#: Storage SKUs that keep three copies across availability zones (AML-REL-001), and those that also replicate
#: to the paired region (production). REST spec ``Microsoft.Storage`` ``SkuName``.
ZONE_REDUNDANT_SKUS: tuple[str, ...] = ("Standard_ZRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS")
GEO_ZONE_REDUNDANT_SKUS: tuple[str, ...] = ("Standard_GZRS", "Standard_RAGZRS")

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: object) -> timedelta | None:
    """An ISO-8601 duration without years or months (``PT15M``, ``P1DT2H``; any case, as Azure reads it), or
    ``None`` if ``text`` is not one."""
    if not isinstance(text, str):
        return None
    match = _DURATION.match(text.upper())
    if match is None:
        return None
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


# ---- key material (AML-ENC-009) ------------------------------------------------------------------------------
#: Key types whose private key never leaves a hardware security module: built-in 587c79fe "Keys should be backed
#: by a hardware security module (HSM)" (Azure/azure-policy Key Vault/Keys_HSMBacked.json: keyType notIn these).
#: Key Vault creates them only in a Premium vault (``SkuName`` standard | premium, pulumi-azure-native 3.29.0).
HSM_KEY_TYPES: tuple[str, ...] = ("RSA-HSM", "EC-HSM")
#: The smallest RSA key accepted: built-in 82067dbb "Keys using RSA cryptography should have a specified minimum
#: key size" offers 2048, 3072 or 4096 (Keys_RSA_MinimumKeySize.json); this estate asks for 3072. Key Vault's
#: default for RSA keys is 2048 (SDK docstring of ``KeyPropertiesArgs.key_size``).
MIN_RSA_KEY_SIZE = 3072
#: What the estate creates: every customer-managed key of the estate (workspace, AKS disks) has this type and size.
CMK_KEY_TYPE = "RSA-HSM"
CMK_KEY_SIZE = MIN_RSA_KEY_SIZE

#: Key Vault's Event Grid events for a key's current version 30 days before it expires and when it has expired
#: ("Azure Key Vault as Event Grid source", MicrosoftDocs/azure-docs event-grid/event-schema-key-vault.md). No
#: metric or log of Key Vault carries a key's expiry; these events reach an action group through an Event Grid
#: system topic on the vault (topic type below) and a subscription whose destination is an Azure Monitor alert,
#: "currently available only for Azure Key Vault system events" and only with the CloudEvents v1.0 schema
#: (event-grid/handler-azure-monitor-alerts.md, handle-key-vault-events-using-azure-monitor-alerts.md) (AML-MON-006).
KEY_NEAR_EXPIRY_EVENT = "Microsoft.KeyVault.KeyNearExpiry"
KEY_EXPIRY_EVENTS: tuple[str, ...] = (KEY_NEAR_EXPIRY_EVENT, "Microsoft.KeyVault.KeyExpired")
KEY_VAULT_TOPIC_TYPE = "Microsoft.KeyVault.vaults"
#: The event subscription's delivery schema and destination type for Azure Monitor alerts (pulumi-azure-native
#: 3.29.0 ``eventgrid.EventDeliverySchema``, ``MonitorAlertEventSubscriptionDestinationArgs``, REST API 2025-02-15).
MONITOR_ALERT_SCHEMA = "CloudEventSchemaV1_0"
MONITOR_ALERT_ENDPOINT = "MonitorAlert"

# ---- AKS (AML-AKS-017, AML-AKS-018) --------------------------------------------------------------------------
#: Image Cleaner's scan interval: "Use Image Cleaner on AKS" (learn.microsoft.com/azure/aks/image-cleaner,
#: ``--image-cleaner-interval-hours``): the CLI's default is one week, the minimum 24 hours, the maximum three
#: months (2160 hours); ARM clients must set it.
IMAGE_CLEANER_INTERVAL_HOURS = (24, 2160)
#: Fewest nodes a pool keeps: PSRule Azure.AKS.MinNodeCount (the system pool) and Azure.AKS.MinUserPoolNodes
#: (each user pool; minCount when autoscaled) both default to 3 ("for failover and updates").
MIN_POOL_NODES = 3
#: Fewest pods a node accepts (``maxPods``): PSRule Azure.AKS.NodeMinPods (AZURE_AKS_POOL_MINIMUM_MAXPODS) and checkov
#: CKV_AZURE_168 both ask for at least 50, since DaemonSets for monitoring and security alone can fill Azure CNI's
#: old default of 30.
MIN_POOL_PODS = 50
#: Length of an AKS planned-maintenance window, in hours: ``MaintenanceWindow.durationHours`` "from 4 to 24 hours"
#: (pulumi-azure-native 3.29.0 ``containerservice.MaintenanceWindowArgs``, REST API 2025-09-01).
MAINTENANCE_WINDOW_HOURS = (4, 24)
#: The etcd (KMS) key's lifetime and when it rotates (AML-AKS-029). AKS's KMS plugin names one key *version*, and
#: "KMS uses two keys at the same time. After the first key rotation, you need to ensure both the old and new keys
#: are valid (not expired) until the next key rotation" ("Use KMS etcd encryption in AKS", MicrosoftDocs/
#: azure-aks-docs use-kms-etcd-encryption.md, "Rotate existing keys"). Rotating at half the lifetime keeps both
#: versions valid for a whole rotation period: each version lives two years, a new one is made after one, and the
#: cluster is moved to it within that year (``pulumi refresh`` then ``pulumi up``; README, "Etcd encryption and
#: Kubernetes upgrades").
KMS_KEY_EXPIRY = "P2Y"
KMS_ROTATE_BEFORE_EXPIRY = "P1Y"
#: Upgrade channels that keep a cluster on a supported Kubernetes minor version: "To ensure your cluster is always
#: in a supported version, such as within the N-2 rule, choose either the stable or rapid channels" ("Automatically
#: upgrade an AKS cluster", MicrosoftDocs/azure-aks-docs auto-upgrade-cluster.md). ``patch`` keeps the minor
#: version until it leaves support; ``node-image`` and ``none`` never upgrade Kubernetes (REST API 2025-09-01
#: ``upgradeChannel``). PSRule Azure.AKS.Version passes the same two channels.
SUPPORTED_UPGRADE_CHANNELS: tuple[str, ...] = ("stable", "rapid")

_CALENDAR = re.compile(r"^P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?$")


def calendar_duration(text: object) -> tuple[timedelta, timedelta] | None:
    """The shortest and longest span of an ISO-8601 duration in years, months and days (``P2Y``, ``P60D``; any
    case), as Key Vault's rotation policy writes them, or ``None`` if ``text`` is not one. A year counts 365 to
    366 days and a month 28 to 31, so a comparison of two such spans holds whatever the calendar."""
    if not isinstance(text, str):
        return None
    match = _CALENDAR.match(text.strip().upper())
    if match is None:
        return None
    y, mo, d = (int(match.group(k) or 0) for k in ("y", "mo", "d"))
    return timedelta(days=365 * y + 28 * mo + d), timedelta(days=366 * y + 31 * mo + d)
