// The ports a deployment opens, and to whom. Cloud-neutral: AWS turns it into security group
// rules, GCP into firewall rules, Azure into NSG rules. Everything is reachable from the
// deployment's own hosts; client ports also from the networks the user allows.
import type { TopologyPlan } from "../../components/types";

export interface PortRule {
    port: number;
    /** Short name used in rule names and descriptions. */
    purpose: "redis" | "cluster-bus" | "sentinel" | "proxy-read";
    description: string;
    /** Also open to the allowed client networks (else only between the deployment's hosts). */
    clients: boolean;
}

export function firewallPlan(plan: TopologyPlan): PortRule[] {
    const { args } = plan;
    const rules: PortRule[] = [
        { port: args.port, purpose: "redis", description: "Redis (members, and the HAProxy write frontend)", clients: true },
    ];
    if (args.mode === "cluster") {
        // Node-to-node only: clients never speak the cluster bus protocol.
        rules.push({ port: args.port + 10000, purpose: "cluster-bus", description: "Redis cluster bus (nodes only)", clients: false });
    }
    if (args.mode === "sentinel") {
        rules.push({ port: args.sentinelPort, purpose: "sentinel", description: "Redis Sentinel", clients: true });
    }
    if (plan.proxies.length > 0) {
        rules.push({ port: plan.proxies[0].readPort, purpose: "proxy-read", description: "HAProxy read frontend (replicas)", clients: true });
    }
    return rules;
}
