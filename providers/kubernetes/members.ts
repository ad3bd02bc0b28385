// Members: one StatefulSet per group (a cluster shard, or a replication/sentinel role) with a
// PVC per pod, their configs in a ConfigMap, a metrics sidecar when asked, and a
// PodDisruptionBudget per shard.
import * as pulumi from "@pulumi/pulumi";
import type { AddressedMember, TopologyPlan } from "../../components/types";
import type { NodeHandles } from "../types";
import { digest, memberConfig } from "./configs";
import { exporterContainer, scrapeAnnotations } from "./metrics";
import { memberPlacement } from "./placement";
import {
    configMap, disruptionBudget, labels, podBasics, podSecurity, redisContainer, redisVolumes,
    selector, statefulSet, volumeClaim, type PodTemplate,
} from "./pods";
import { probeScript, startRedisScript } from "./scripts";
import { SECRET_KEYS } from "./secret";
import { nodeTuningContainers, podSysctls } from "./tuning";
import type { Shared } from "./shared";

export function memberObjects(s: Shared, plan: TopologyPlan): NodeHandles<AddressedMember> {
    const { name, options: o, layout } = s;
    const resources: pulumi.Resource[] = [...s.resources];
    const configs: string[] = [];
    const memory = o.memory;
    for (const group of layout.groups) {
        const texts = Object.fromEntries(group.members.map((m) => [`${m.pod}.conf`, memberConfig(plan, m)]));
        const config = configMap(s, group.name, "redis", texts);
        const podLabels = labels(name, "redis", {
            "redis-deployment/shard": String(group.shard),
            "redis-deployment/group": group.name,
            "redis-deployment/stable-name": "true",
            ...(group.role ? { "redis-deployment/initial-role": group.role } : {}),
        });
        const checksum = digest(...Object.values(texts), startRedisScript(plan, layout.members), probeScript(plan), o.images.redis);
        configs.push(checksum);
        const containers = [redisContainer(o, plan, "redis", { requests: { memory, cpu: o.cpu }, limits: { memory } })];
        if (o.metrics) containers.push(exporterContainer(s, plan, plan.args.port));
        const template: PodTemplate = {
            metadata: {
                labels: podLabels,
                annotations: {
                    "redis-deployment/config-checksum": checksum,
                    ...scrapeAnnotations(plan),
                },
            },
            spec: {
                ...podBasics(o),
                ...memberPlacement(name, o, plan, group),
                securityContext: { ...podSecurity(), ...podSysctls(o) },
                ...(o.tuneNodes ? { initContainers: nodeTuningContainers(o) } : {}),
                // Time to finish an AOF fsync / RDB save on SIGTERM.
                terminationGracePeriodSeconds: 60,
                containers,
                volumes: redisVolumes(s, config, [SECRET_KEYS.redisAuth, SECRET_KEYS.monitorPassword], group.members.map((m) => m.pod)),
            },
        };
        const podSelector = selector(name, "redis", { "redis-deployment/group": group.name });
        const set = statefulSet(s, group.name, group.members.length, labels(name, "redis"), podSelector, template,
            volumeClaim(o, o.storageSize, labels(name, "redis")), [config, ...s.resources]);
        resources.push(config, set);
    }
    // One budget per shard: a voluntary disruption (drain, upgrade) takes at most one member of a shard.
    for (const shard of plan.shards) {
        const budgetName = plan.args.mode === "cluster" ? `${name}-s${shard.index}` : `${name}-redis`;
        const podSelector = selector(name, "redis", { "redis-deployment/shard": String(shard.index) });
        resources.push(disruptionBudget(s, budgetName, labels(name, "redis"), podSelector, s.resources));
    }
    const members: AddressedMember[] = layout.members.map(({ group: _g, pod: _p, ...m }) => m);
    return { nodes: pulumi.output(members), resources, generation: pulumi.output(configs.join(",")) };
}
