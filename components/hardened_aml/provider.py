"""The components as a Pulumi component provider, for stacks written in TypeScript, Go, C#, Java or YAML.

The plugin folder ``components/provider/`` (``PulumiPlugin.yaml``, runtime python) runs :func:`main`; Pulumi
infers the provider's schema from each component's args ``TypedDict`` (types, which keys are optional, the
docstring under each field, enums with their members' docstrings), as ``component_provider_host`` does.

Two readings are added to Pulumi's schema inference (``pulumi.provider.experimental.analyzer``), because the args
types declare each setting once, for Python and for every other language:

* ``Annotated[T, Field(...)]`` is read as ``T``: the range or pattern inside is checked by the component when it
  is constructed, in every language, and said in the field's description;
* a field inherited from another args type keeps the docstring written there (``ComputeClusterArgs`` extends
  ``ComputeClusterSettings``, the type the stack config is composed of).
"""

import sys
import typing
from typing import Annotated, Any, get_args, get_origin

import pulumi
from pulumi.provider.experimental import analyzer, component

from hardened_aml.access import WorkspaceAccess
from hardened_aml.aks import InferenceCluster
from hardened_aml.alerts import Alerts
from hardened_aml.batch_endpoint import BatchEndpoint
from hardened_aml.budget import Budget
from hardened_aml.compute_cluster import ComputeCluster
from hardened_aml.compute_instance import ComputeInstance
from hardened_aml.container_registry import ContainerRegistry
from hardened_aml.estate import Estate
from hardened_aml.governance import Governance
from hardened_aml.identity_roles import WorkspaceIdentityRoles
from hardened_aml.key_vault import KeyVault
from hardened_aml.monitoring import Monitoring
from hardened_aml.network import Network
from hardened_aml.online_endpoint import OnlineEndpoint
from hardened_aml.private_endpoint import PrivateEndpoint
from hardened_aml.storage import Storage
from hardened_aml.workspace import Workspace

#: The provider's name: the package of every type token (``hardened-aml:index:Estate``).
NAME = "hardened-aml"
VERSION = "0.2.0"
#: Every public component, in the order the schema lists them.
COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = (
    Estate,
    Network,
    PrivateEndpoint,
    Monitoring,
    KeyVault,
    Storage,
    ContainerRegistry,
    WorkspaceIdentityRoles,
    Workspace,
    WorkspaceAccess,
    Budget,
    Alerts,
    Governance,
    ComputeCluster,
    ComputeInstance,
    InferenceCluster,
    OnlineEndpoint,
    BatchEndpoint,
)


class _Analyzer(analyzer.Analyzer):
    """Pulumi's schema inference, reading ``Annotated`` fields and inherited field docstrings (see above)."""

    def analyze_property(self, arg: Any, typ: type, name: str, **kwargs: Any) -> analyzer.PropertyDefinition:
        while get_origin(arg) is Annotated:
            arg = get_args(arg)[0]
        return super().analyze_property(arg, typ, name, **kwargs)

    def get_docstring(self, typ: type, name: str) -> str | None:
        for owner in _lineage(typ):
            found = super().get_docstring(owner, name)
            if found is not None:
                return found
        return None


def _lineage(typ: type) -> list[type]:
    bases = [b for b in getattr(typ, "__orig_bases__", ()) if typing.is_typeddict(b) or hasattr(b, "__total__")]
    return [typ, *(t for b in bases for t in _lineage(b))]


def component_provider() -> component.ComponentProvider:
    """The provider that hosts :data:`COMPONENTS` (its schema is inferred when it is made)."""
    component.Analyzer = _Analyzer  # type: ignore[attr-defined]
    return component.ComponentProvider(list(COMPONENTS), NAME, None, VERSION)


def main(argv: list[str] | None = None) -> None:
    """Serve the provider as the language host starts a plugin: ``python <plugin folder> <engine address>``;
    prints the port it listens on."""
    from pulumi.provider import main as serve

    serve(component_provider(), list(sys.argv[1:] if argv is None else argv))
