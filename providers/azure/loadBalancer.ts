// An internal Standard load balancer in front of the proxies (or the member in standalone mode):
// a static frontend address in the subnet (zone-redundant over the deployment's zones), a backend
// pool of the nodes' own addresses (IP-based, so the NICs do not depend on the load balancer and
// a replaced VM needs no re-registration), a TCP probe and a rule per port.
import * as pulumi from "@pulumi/pulumi";
import type { ProviderContext } from "../types";
import type { LoadBalancerFront } from "../vm/provider";
import { placement, type AzureFoundation, type AzureScope } from "./foundation";
import type { AzureMachine, AzureNetwork } from "./host";
import { loadBalancedPorts } from "../../components/plan";
import { loadBalancerChildId } from "./rules";
import { loadBalancerName } from "./validate";

export function createInternalLoadBalancer(s: AzureScope, ctx: ProviderContext, f: AzureFoundation, front: LoadBalancerFront<AzureNetwork, AzureMachine>): pulumi.Output<string> {
    const { args } = ctx.plan;
    const lbName = loadBalancerName(s.env.project, s.env.stack, s.name);
    const childId = (kind: Parameters<typeof loadBalancerChildId>[3], child: string) =>
        pulumi.all([f.subnet, f.resourceGroupName]).apply(([x, rg]) => loadBalancerChildId(x.subscriptionId, rg, lbName, kind, child));
    const ports = loadBalancedPorts(ctx.plan);

    const lb = new f.az.network.LoadBalancer(`${s.name}-ilb`, {
        ...placement(s, f.resourceGroupName),
        loadBalancerName: lbName,
        sku: { name: "Standard", tier: "Regional" },
        frontendIPConfigurations: [{
            name: "frontend",
            privateIPAllocationMethod: "Static",
            privateIPAddress: f.layout.apply((l) => l.loadBalancer),
            subnet: { id: f.subnet.apply((x) => x.id) },
            zones: args.zones.length > 1 ? ["1", "2", "3"] : args.zones,
        }],
        backendAddressPools: [{
            name: "targets",
            loadBalancerBackendAddresses: front.targetNames.map((target) => ({
                name: target,
                ipAddress: f.layout.apply((l) => l.nodes[target]),
                virtualNetwork: { id: f.subnet.apply((x) => x.virtualNetworkId) },
            })),
        }],
        probes: ports.map((port) => ({ name: `tcp-${port}`, protocol: "Tcp", port, intervalInSeconds: 5, probeThreshold: 2 })),
        loadBalancingRules: ports.map((port) => ({
            name: `tcp-${port}`,
            protocol: "Tcp",
            frontendPort: port,
            backendPort: port,
            frontendIPConfiguration: { id: childId("frontendIPConfigurations", "frontend") },
            backendAddressPool: { id: childId("backendAddressPools", "targets") },
            probe: { id: childId("probes", `tcp-${port}`) },
            enableTcpReset: true,
            // Redis connections idle for long (pub/sub, pools): the longest Azure allows.
            idleTimeoutInMinutes: 30,
        })),
        tags: s.tags(),
    }, { parent: ctx.parent, dependsOn: front.proxies.resources });
    return pulumi.all([lb.id, f.layout]).apply(([, l]) => `${l.loadBalancer}:${args.port}`);
}
