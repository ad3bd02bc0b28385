// Sentinels: one StatefulSet (a PVC each: Sentinel keeps its state in its config), their configs
// in a ConfigMap, a Service for clients that take one sentinel address, a PodDisruptionBudget.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AddressedNode, TopologyPlan } from "../../components/types";
import type { NodeHandles } from "../types";
import { digest, sentinelConfig } from "./configs";
import { exporterContainer, scrapeAnnotations } from "./metrics";
import { spreadPlacement } from "./placement";
import {
    configMap, disruptionBudget, labels, podBasics, podSecurity, redisContainer, redisVolumes, servicePorts, selector, statefulSet, volumeClaim, type PodTemplate,
} from "./pods";
import { probeScript, startSentinelScript } from "./scripts";
import { SECRET_KEYS } from "./secret";
import type { Shared } from "./shared";

export function sentinelObjects(s: Shared, plan: TopologyPlan): NodeHandles {
    const { name, options: o, layout } = s;
    const texts = Object.fromEntries(layout.sentinels.map((x) => [`${x.pod}.conf`, sentinelConfig(plan, x)]));
    const config = configMap(s, layout.sentinelSet, "sentinel", texts);
    const checksum = digest(...Object.values(texts), startSentinelScript(plan), probeScript(plan), o.images.redis);
    const template: PodTemplate = {
        metadata: {
            labels: labels(name, "sentinel", { "redis-deployment/stable-name": "true" }),
            annotations: { "redis-deployment/config-checksum": checksum, ...scrapeAnnotations(plan) },
        },
        spec: {
            ...podBasics(o),
            ...spreadPlacement(name, o, "sentinel", plan.sentinels.map((x) => x.zone)),
            securityContext: podSecurity(),
            containers: [
                redisContainer(o, plan, "sentinel", { requests: { memory: "64Mi", cpu: "50m" }, limits: { memory: "128Mi" } }),
                ...(o.metrics ? [exporterContainer(s, plan, plan.args.sentinelPort)] : []),
            ],
            volumes: redisVolumes(s, config, [SECRET_KEYS.sentinelAuth, SECRET_KEYS.password], layout.sentinels.map((x) => x.pod)),
        },
    };
    const set = statefulSet(s, layout.sentinelSet, layout.sentinels.length, labels(name, "sentinel"), selector(name, "sentinel"), template,
        volumeClaim(o, o.sentinelStorageSize, labels(name, "sentinel")), [config, ...s.resources]);
    // For clients that take one sentinel address; the pods' own names are in sentinelAddresses.
    const service = new k8s.core.v1.Service(layout.sentinelSet, {
        metadata: { name: layout.sentinelSet, namespace: s.namespace, labels: labels(name, "sentinel") },
        spec: { selector: selector(name, "sentinel"), ports: servicePorts(plan, ["sentinel"]) },
    }, s.opts);
    const budget = disruptionBudget(s, layout.sentinelSet, labels(name, "sentinel"), selector(name, "sentinel"), s.resources);
    const nodes: AddressedNode[] = layout.sentinels.map(({ pod: _p, ...x }) => x);
    return { nodes: pulumi.output(nodes), resources: [...s.resources, config, set, service, budget], generation: pulumi.output(checksum) };
}
