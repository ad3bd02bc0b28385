// Pure rules of the Azure provider: the network security group's inbound rules (from the
// plan's ports), ids of the load balancer's children before it exists, stable GUIDs.
import { createHash } from "crypto";
import type { TopologyPlan } from "../../components/types";
import { loadBalancedPorts } from "../../components/plan";

/** First priority of the deployment's allow rules; the deny rule after them shuts the default AllowVnetInBound out of its ports. */
const ALLOW_PRIORITY = 100;
const DENY_PRIORITY = 4000;
const PROBE_SOURCE = "AzureLoadBalancer";

/** A GUID derived from `text` (role assignment names must be GUIDs; a fixed one keeps the assignment across runs). */
export function stableGuid(text: string): string {
    const h = createHash("sha256").update(text).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The resource id of a child (frontend, pool, probe) of the load balancer `lbName`, before it exists. */
export function loadBalancerChildId(subscriptionId: string, resourceGroupName: string, lbName: string, kind: "frontendIPConfigurations" | "backendAddressPools" | "probes", child: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Network/loadBalancers/${lbName}/${kind}/${child}`;
}

export interface NsgRule {
    name: string;
    priority: number;
    access: "Allow" | "Deny";
    ports: number[];
    /** A CIDR block, "AzureLoadBalancer", "*" (deny only), or the deployment's application security group. */
    source: { cidrs: string[] } | { tag: string } | { deploymentGroup: true };
    description: string;
}

/**
 * The network security group's inbound rules, pure: every port of the firewall plan from the
 * deployment's application security group, client ports also from `allowedCidrs`, the load
 * balanced ports from Azure's probe address, then a deny of those ports from anywhere else —
 * without it Azure's default rule AllowVnetInBound would let the whole virtual network (and
 * every peered network) in.
 */
export function nsgRules(plan: TopologyPlan, allowedCidrs: string[]): NsgRule[] {
    const rules: NsgRule[] = [];
    let priority = ALLOW_PRIORITY;
    const balanced = loadBalancedPorts(plan);
    for (const r of plan.ports) {
        rules.push({ name: `${r.purpose}-from-deployment`, priority: priority++, access: "Allow", ports: [r.port], source: { deploymentGroup: true }, description: `${r.description}, between the deployment's hosts` });
        if (r.clients && allowedCidrs.length > 0) {
            rules.push({ name: `${r.purpose}-from-allowed`, priority: priority++, access: "Allow", ports: [r.port], source: { cidrs: allowedCidrs }, description: `${r.description}, from azure.allowedCidrs` });
        }
        if (r.allowFrom && r.allowFrom.length > 0) {
            rules.push({ name: `${r.purpose}-from-metrics`, priority: priority++, access: "Allow", ports: [r.port], source: { cidrs: r.allowFrom }, description: `${r.description}, from metrics.allowedCidrs` });
        }
        if (balanced.includes(r.port)) {
            rules.push({ name: `${r.purpose}-from-probe`, priority: priority++, access: "Allow", ports: [r.port], source: { tag: PROBE_SOURCE }, description: `${r.description}, health probes of the load balancer` });
        }
    }
    rules.push({ name: "deny-other-sources", priority: DENY_PRIORITY, access: "Deny", ports: plan.ports.map((r) => r.port), source: { tag: "*" }, description: "the deployment's ports from anywhere else (overrides AllowVnetInBound)" });
    return rules;
}
