"""Deterministic resource names that follow the Azure abbreviations.

Every name is built from the workload, the stack and a stable suffix: the first hex digits of a SHA-256 of
``project/stack``. Two plans of the same stack give the same names; two stacks never collide, even when
their stack names are truncated to fit a length limit.

Abbreviations and limits: Cloud Adoption Framework "Abbreviation recommendations for Azure resources" and
"Naming rules and restrictions for Azure resources" (learn.microsoft.com/azure/azure-resource-manager/
management/resource-name-rules).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# abbreviation -> (max length, alphanumeric only)
_RULES: dict[str, tuple[int, bool]] = {
    "rg": (90, False),
    "mlw": (33, False),  # Microsoft.MachineLearningServices/workspaces: 3-33
    "st": (24, True),  # Microsoft.Storage/storageAccounts: 3-24 lowercase letters and digits
    "kv": (24, False),  # Microsoft.KeyVault/vaults: 3-24, letters, digits, hyphens
    "cr": (50, True),  # Microsoft.ContainerRegistry/registries: 5-50 alphanumerics
    "log": (63, False),  # Microsoft.OperationalInsights/workspaces: 4-63
    "appi": (260, False),  # Microsoft.Insights/components
    "id": (128, False),  # Microsoft.ManagedIdentity/userAssignedIdentities: 3-128
    "aks": (63, False),  # Microsoft.ContainerService/managedClusters: 1-63
    "vnet": (64, False),
    "snet": (80, False),
    "nsg": (80, False),
    "pep": (64, False),
    "cmk": (127, False),  # Key Vault key: 1-127 letters, digits, hyphens
    "budget": (63, False),  # Microsoft.Consumption/budgets
    "mlr": (33, False),  # Microsoft.MachineLearningServices/registries: 3-33, ^[a-zA-Z0-9][a-zA-Z0-9\-_]{2,32}$
}

WORKLOAD_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,7}$")


@dataclass(frozen=True)
class Namer:
    """Names for one stack of one project: ``Namer("hardened-aml", "dev", "haml").name("kv")``."""

    project: str
    stack: str
    workload: str

    @property
    def suffix(self) -> str:
        return hashlib.sha256(f"{self.project}/{self.stack}".encode()).hexdigest()[:4]

    @property
    def stack_token(self) -> str:
        """The stack name as it appears in names: lowercase letters and digits, at most 6 of them."""
        return re.sub(r"[^a-z0-9]", "", self.stack.lower())[:6] or "stack"

    def name(self, abbreviation: str, purpose: str = "") -> str:
        """The name of a resource of the given kind, e.g. ``kv-haml-dev-1a2b``.

        ``purpose`` tells apart several resources of one kind (``snet-haml-dev-1a2b-pe``).
        """
        limit, alphanumeric = _RULES[abbreviation]
        parts = [abbreviation, self.workload, self.stack_token, self.suffix]
        if purpose:
            parts.append(purpose)
        name = "".join(parts) if alphanumeric else "-".join(parts)
        if len(name) > limit:  # only a long purpose can overflow: the fixed parts fit every limit
            raise ValueError(f"name {name!r} is longer than {limit} characters for {abbreviation!r}")
        return name
