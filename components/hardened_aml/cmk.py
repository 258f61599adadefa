"""The customer-managed key a resource is encrypted with, and the identity through which it reads the key.

One shape for every component that encrypts with the estate's key (storage, registry): the key (its ARM id, the
scope of the role, and its URI) and the name of a user-assigned identity made for that one resource. The identity
gets "Key Vault Crypto Service Encryption User" (read key metadata, wrap and unwrap) on that one key, nothing else:
the least-privilege built-in role both services document for a user-assigned identity
(learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-new-account, "Use a user-assigned
managed identity to authorize access to the key vault"; learn.microsoft.com/azure/container-registry/
tutorial-enable-customer-managed-keys, "Enable managed identities to access the key vault"). Both pages scope the
role to the vault; Key Vault RBAC also accepts a single key as scope ("Provide access to Key Vault keys,
certificates, and secrets with Azure role-based access control", learn.microsoft.com/azure/key-vault/general/
rbac-guide: "individual keys, secrets, and certificates role assignments"), so the role is scoped to the key.

The resource must not use the key before the role exists: :class:`KeyAccess` is what to depend on.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
from pydantic import Field
from typing_extensions import TypedDict

from aml_catalogue.roles import KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
from hardened_aml import shared
from hardened_aml.errors import MISSING
from hardened_aml.inputs import Input, Problem, Wired, args
from hardened_aml.shared import Environment

__all__ = [
    "CustomerManagedKey",
    "KeyAccess",
    "key_access",
    "key_choice_problems",
    "vault_uri_and_key_name",
    "versionless_key_uri",
]

#: A Key Vault (or Managed HSM) key URI, with or without its version: ``https://<vault>.vault.azure.net/keys/
#: <name>[/<version>]`` (the DNS suffix differs between clouds).
_KEY_URI = re.compile(r"^(?P<vault>https://[^/]+/)keys/(?P<name>[A-Za-z0-9-]{1,127})(?:/(?P<version>[A-Za-z0-9]+))?/?$")


def _key_uri_problem(value: Any) -> str | None:
    if isinstance(value, str) and _KEY_URI.match(value):
        return None
    return "a key URI https://<vault>.vault.azure.net/keys/<name>[/<version>]"


@args
class CustomerManagedKey(TypedDict):
    """The key a resource is encrypted with (control AML-ENC-005 for storage, AML-ENC-008 for the registry)."""

    key_id: Annotated[Input[str], Wired()]
    """ARM id of the ``keyvault:Key``: the scope of the identity's role. Required."""
    key_uri: Annotated[Input[str], Wired(_key_uri_problem)]
    """The key's URI, with or without a version; the resource uses it without the version, so a rotated key
    version is picked up automatically. Required."""
    identity_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")]
    """Name of the user-assigned identity made for this resource to read the key (3-128 letters, digits, ``-``
    and ``_``). Required."""
    subscription_id: Annotated[Input[str], Wired()]
    """Subscription of the role definition. Required."""


def key_choice_problems(a: Mapping[str, Any], control: str, encrypted: str) -> Iterator[Problem]:
    """A component's key, or ``microsoft_managed_keys`` by name and never in production: the rule of every
    component that takes a :class:`CustomerManagedKey` (``encrypted`` names what the key encrypts)."""
    given = a.get("customer_managed_key") is not None
    if a["microsoft_managed_keys"]:
        if a["environment"] is Environment.PRODUCTION:
            yield ("microsoft_managed_keys",), True, f"false in production: a customer-managed key ({control})"
        elif given:
            yield ("microsoft_managed_keys",), True, "false when customer_managed_key is given"
    elif not given:
        yield (
            ("customer_managed_key",),
            MISSING,
            f"the key to encrypt {encrypted} with ({control}), or microsoft_managed_keys=true to do without one",
        )


def versionless_key_uri(key_uri: str) -> str:
    """``https://kv.vault.azure.net/keys/cmk/0123`` -> ``https://kv.vault.azure.net/keys/cmk``."""
    match = _KEY_URI.match(key_uri)
    if match is None:
        raise ValueError(_key_uri_problem(key_uri))
    return f"{match['vault']}keys/{match['name']}"


def vault_uri_and_key_name(key_uri: str) -> tuple[str, str]:
    """``https://kv.vault.azure.net/keys/cmk/0123`` -> (``https://kv.vault.azure.net/``, ``cmk``)."""
    match = _KEY_URI.match(key_uri)
    if match is None:
        raise ValueError(_key_uri_problem(key_uri))
    return match["vault"], match["name"]


class KeyAccess:
    """A user-assigned identity for one resource, with Key Vault Crypto Service Encryption User on the key.

    Created under ``parent`` (the component that encrypts). ``role`` is what the resource depends on.
    """

    def __init__(
        self,
        name: str,
        cmk: CustomerManagedKey,
        *,
        resource_group_name: pulumi.Input[str],
        location: str,
        tags: dict[str, str],
        parent: pulumi.Resource,
    ) -> None:
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-cmk-id",
            resource_name_=cmk["identity_name"],
            resource_group_name=resource_group_name,
            location=location,
            tags=tags,
            # Not protected, as the workspace's identity is not: the stateful resources are (AML-REL-006).
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.role = shared.role_assignment(
            f"{name}-cmk-crypto-user",
            scope=cmk["key_id"],
            role_guid=KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            subscription_id=cmk["subscription_id"],
            parent=parent,
        )
        key_uri = pulumi.Output.from_input(cmk["key_uri"])
        self.identity_id = self.identity.id
        self.client_id = self.identity.client_id
        #: The key without its version (automatic rotation), its vault's URI and its name.
        self.key_uri = key_uri.apply(versionless_key_uri)
        self.vault_uri = key_uri.apply(lambda uri: vault_uri_and_key_name(uri)[0])
        self.key_name = key_uri.apply(lambda uri: vault_uri_and_key_name(uri)[1])


def key_access(name: str, a: Any, parent: pulumi.Resource) -> KeyAccess | None:
    """The :class:`KeyAccess` of a component whose args ``a`` give a ``customer_managed_key``, placed and tagged as
    the component is; ``None`` when it keeps Microsoft-managed keys by name."""
    cmk = a.get("customer_managed_key")
    if cmk is None:
        return None
    return KeyAccess(
        name,
        cmk,
        resource_group_name=a["resource_group_name"],
        location=a["location"],
        tags=dict(a["tags"]),
        parent=parent,
    )
