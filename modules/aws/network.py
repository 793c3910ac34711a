"""The VPC: private and public subnets per zone, internet and NAT gateways, an S3 gateway endpoint.

Node groups live in the private subnets; an EFA pool uses exactly one of them (its zone's).
The S3 gateway endpoint keeps dataset and checkpoint traffic off the NAT gateway (no per-GB NAT
charge, more bandwidth).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from clusterforge.catalog.ipspace import subnet_layout
from clusterforge.modules.aws.common import tags


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    cidr: str
    zones: list[str]
    #: The stack's region (the spec's, or the profile's default_region).
    region: str
    nat: str = "single"
    tags: dict[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    """VPC with per-zone private/public subnets, NAT and an S3 gateway endpoint."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clusterforge:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name
        base = tags(args.tags, cluster)
        owned = {f"kubernetes.io/cluster/{cluster}": "shared"}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**base, "Name": f"{cluster}-vpc"},
            opts=child,
        )
        vpc_child = pulumi.ResourceOptions(parent=self, depends_on=[self.vpc])
        igw = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=self.vpc.id,
            tags={**base, "Name": f"{cluster}-igw"},
            opts=vpc_child,
        )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={**base, "Name": f"{cluster}-public"},
            opts=child,
        )

        self.private_subnets: dict[str, aws.ec2.Subnet] = {}
        self.public_subnets: dict[str, aws.ec2.Subnet] = {}
        nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        private_route_tables: list[aws.ec2.RouteTable] = []
        for plan in subnet_layout(args.cidr, args.zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{plan.zone}",
                vpc_id=self.vpc.id,
                cidr_block=plan.public_cidr,
                availability_zone=plan.zone,
                map_public_ip_on_launch=False,
                tags={
                    **base,
                    **owned,
                    "Name": f"{cluster}-public-{plan.zone}",
                    "kubernetes.io/role/elb": "1",
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{plan.zone}",
                subnet_id=public.id,
                route_table_id=public_rt.id,
                opts=child,
            )
            self.public_subnets[plan.zone] = public
            if args.nat == "per_zone" or not nat_gateways:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{plan.zone}",
                    domain="vpc",
                    tags={**base, "Name": f"{cluster}-nat-{plan.zone}"},
                    opts=child,
                )
                nat_gateways[plan.zone] = aws.ec2.NatGateway(
                    f"{name}-nat-{plan.zone}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    tags={**base, "Name": f"{cluster}-nat-{plan.zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            nat = nat_gateways.get(plan.zone) or next(iter(nat_gateways.values()))
            private = aws.ec2.Subnet(
                f"{name}-private-{plan.zone}",
                vpc_id=self.vpc.id,
                cidr_block=plan.private_cidr,
                availability_zone=plan.zone,
                tags={
                    **base,
                    **owned,
                    "Name": f"{cluster}-private-{plan.zone}",
                    "kubernetes.io/role/internal-elb": "1",
                },
                opts=child,
            )
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{plan.zone}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={**base, "Name": f"{cluster}-private-{plan.zone}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{plan.zone}",
                subnet_id=private.id,
                route_table_id=route_table.id,
                opts=child,
            )
            private_route_tables.append(route_table)
            self.private_subnets[plan.zone] = private

        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_route_tables] + [public_rt.id],
            tags={**base, "Name": f"{cluster}-s3"},
            opts=child,
        )
        self.register_outputs(
            {
                "specPath": "network",
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.private_subnets.values()],
                "publicSubnetIds": [s.id for s in self.public_subnets.values()],
            }
        )
