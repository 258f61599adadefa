"""From a stack's validated settings to the estate: what this repository's stack program builds.

``build(settings, project, stack)`` is the whole program less its exports; the stack program
(``__main__.py``) and the scaling benchmark call it. Other projects can call it with settings of their own,
or build :class:`~hardened_aml.estate.Estate` directly from typed arguments.
"""

from __future__ import annotations

import pulumi

from hardened_aml.aks import InferenceTls, NodePool
from hardened_aml.batch_endpoint import BatchDeploymentSpec
from hardened_aml.budget import BudgetOptions
from hardened_aml.errors import InvalidInputError
from hardened_aml.estate import (
    AksOptions,
    BatchEndpointOptions,
    ClusterOptions,
    ComputeOptions,
    Estate,
    EstateArgs,
    GovernanceOptions,
    InstanceOptions,
    OnlineEndpointOptions,
)
from hardened_aml.naming import Namer
from hardened_aml.network import ExistingVnet, NetworkOptions
from hardened_aml.online_endpoint import Autoscale, OnlineDeploymentSpec
from hardened_aml.settings import (
    AksSettings,
    BatchEndpointSettings,
    ComputeSettings,
    FqdnRuleSettings,
    GovernanceSettings,
    NodePoolSettings,
    OnlineEndpointSettings,
    PrivateEndpointRuleSettings,
    ServiceTagRuleSettings,
    StackSettings,
)
from hardened_aml.workspace import FqdnRule, OutboundRule, PrivateEndpointRule, ServiceTagRule


def estate_args(settings: StackSettings, project: str, stack: str) -> EstateArgs:
    """The estate's arguments from a stack's settings."""
    provider_location = pulumi.Config("azure-native").get("location")
    if provider_location is not None and provider_location != settings.location:
        raise InvalidInputError(
            "azure-native:location",
            provider_location,
            f"{settings.location!r}, the same region as hardened-aml:location",
        )
    # AML-COST-002: the cost-allocation tags win over extras of the same name.
    tags = {
        **settings.tags.extra,
        "team": settings.tags.team,
        "environment": settings.environment.value,
        "costCentre": settings.tags.cost_centre,
    }
    net = settings.network
    existing = (
        ExistingVnet(resource_group_name=net.existing_vnet.resource_group_name, name=net.existing_vnet.name)
        if net.existing_vnet
        else None
    )
    return EstateArgs(
        namer=Namer(project, stack, settings.workload),
        location=settings.location,
        tags=tags,
        production=settings.production,
        isolation_mode=settings.managed_network.isolation_mode,
        network_provisioning=settings.managed_network.provisioning,
        firewall_sku=settings.managed_network.firewall_sku,
        outbound_rules=tuple(_rule(r) for r in settings.managed_network.outbound_rules),
        network=NetworkOptions(
            address_space=net.address_space,
            private_endpoint_subnet_prefix=net.private_endpoint_subnet_prefix,
            aks_subnet_prefix=net.aks_subnet_prefix,
            compute_subnet_prefix=net.compute_subnet_prefix,
            existing_vnet=existing,
            private_dns_zone_ids=dict(net.private_dns_zone_ids),
        ),
        data_scientist_group_ids=tuple(settings.access.data_scientist_group_ids),
        compute_operator_group_ids=tuple(settings.access.compute_operator_group_ids),
        reader_group_ids=tuple(settings.access.reader_group_ids),
        budget=(
            BudgetOptions(
                amount=settings.budget.amount,
                contact_emails=tuple(settings.budget.contact_emails),
                start_date=settings.budget.start_date,
            )
            if settings.budget
            else None
        ),
        compute=_compute(settings.compute),
        aks=_aks(settings.inference.aks) if settings.inference.aks else None,
        online_endpoint=_online(settings.inference.online_endpoint) if settings.inference.online_endpoint else None,
        batch_endpoint=_batch(settings.inference.batch_endpoint) if settings.inference.batch_endpoint else None,
        governance=_governance(settings.governance),
    )


def _rule(r: PrivateEndpointRuleSettings | ServiceTagRuleSettings | FqdnRuleSettings) -> OutboundRule:
    if isinstance(r, PrivateEndpointRuleSettings):
        return PrivateEndpointRule(
            name=r.name, service_resource_id=r.service_resource_id, subresource_target=r.subresource_target
        )
    if isinstance(r, ServiceTagRuleSettings):
        return ServiceTagRule(name=r.name, service_tag=r.service_tag, protocol=r.protocol, port_ranges=r.port_ranges)
    return FqdnRule(name=r.name, destination=r.destination, ports=tuple(r.ports))


def _compute(c: ComputeSettings) -> ComputeOptions:
    return ComputeOptions(
        clusters=tuple(
            ClusterOptions(
                name=k.name,
                vm_size=k.vm_size,
                max_nodes=k.max_nodes,
                purpose=k.purpose,
                tier=k.tier,
                idle_before_scale_down=k.idle_before_scale_down,
            )
            for k in c.clusters
        ),
        instances=tuple(
            InstanceOptions(
                name=i.name,
                vm_size=i.vm_size,
                assigned_user_object_id=i.assigned_user_object_id,
                image_epoch=i.image_epoch.isoformat(),
                idle_time_before_shutdown=i.idle_time_before_shutdown,
            )
            for i in c.instances
        ),
        max_image_age_days=c.max_image_age_days,
    )


def _pool(p: NodePoolSettings) -> NodePool:
    return NodePool(vm_size=p.vm_size, min_count=p.min_count, max_count=p.max_count)


def _aks(a: AksSettings) -> AksOptions:
    return AksOptions(
        system_pool=_pool(a.system_pool),
        inference_pool=_pool(a.inference_pool),
        compute_name=a.compute_name,
        namespace=a.namespace,
        transport=a.transport,
        tls=InferenceTls(cname=a.tls.cname, secret_name=a.tls.secret_name) if a.tls else None,
        router_exposure=a.router_exposure,
        router_high_availability=a.router_high_availability,
        outbound_type=a.outbound_type,
        pod_cidr=a.pod_cidr,
        service_cidr=a.service_cidr,
        dns_service_ip=a.dns_service_ip,
        admin_group_object_ids=tuple(a.admin_group_object_ids),
        kubernetes_version=a.kubernetes_version,
    )


def _online(o: OnlineEndpointSettings) -> OnlineEndpointOptions:
    return OnlineEndpointOptions(
        name=o.name,
        auth_mode=o.auth_mode,
        deployments=tuple(
            OnlineDeploymentSpec(
                name=d.name,
                model=d.model,
                stage=d.stage,
                instance_type=d.instance_type,
                instance_count=d.instance_count,
                environment_id=d.environment_id,
                code_id=d.code_id,
                scoring_script=d.scoring_script,
                autoscale=Autoscale(
                    minimum=d.autoscale.minimum,
                    maximum=d.autoscale.maximum,
                    cpu_scale_out_percent=d.autoscale.cpu_scale_out_percent,
                    cpu_scale_in_percent=d.autoscale.cpu_scale_in_percent,
                    latency_scale_out_ms=d.autoscale.latency_scale_out_ms,
                ),
            )
            for d in o.deployments
        ),
        traffic=dict(o.traffic),
        mirror_traffic=dict(o.mirror_traffic),
    )


def _batch(b: BatchEndpointSettings) -> BatchEndpointOptions:
    d = b.deployment
    return BatchEndpointOptions(
        name=b.name,
        cluster=b.cluster,
        deployment=(
            BatchDeploymentSpec(
                name=d.name,
                model=d.model,
                stage=d.stage,
                instance_count=d.instance_count,
                mini_batch_size=d.mini_batch_size,
                max_concurrency_per_instance=d.max_concurrency_per_instance,
                environment_id=d.environment_id,
                code_id=d.code_id,
                scoring_script=d.scoring_script,
            )
            if d
            else None
        ),
    )


def _governance(g: GovernanceSettings) -> GovernanceOptions:
    return GovernanceOptions(
        allowed_python_indexes=tuple(g.allowed_python_indexes) if g.allowed_python_indexes is not None else None,
        allowed_model_registry=g.allowed_model_registry,
        restricted_models=tuple(g.restricted_models),
        enforcement=g.enforcement,
    )


def build(settings: StackSettings, project: str, stack: str) -> Estate:
    """The estate of one stack, named from its workload."""
    return Estate(settings.workload, estate_args(settings, project, stack))
