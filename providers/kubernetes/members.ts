// Members: one StatefulSet per group (a cluster shard, or a replication/sentinel role) with a
// PVC per pod, their configs in a ConfigMap, a metrics sidecar when asked, and a
// PodDisruptionBudget per shard.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MONITOR_USER, type AddressedMember, type TopologyPlan } from "../../components/types";
import type { NodeHandles } from "../types";
import { digest, memberConfig } from "./configs";
import { memberPlacement } from "./placement";
import {
    configMap, containerSecurity, disruptionBudget, labels, podBasics, podIpEnv, podSecurity, redisContainer, redisVolumes,
    selector, statefulSet, volumeClaim, type PodTemplate,
} from "./pods";
import { probeScript, startRedisScript } from "./scripts";
import { SECRET_KEYS } from "./secret";
import type { Shared } from "./shared";

const EXPORTER_PORT = 9121;

/** The metrics sidecar (redis_exporter), on the pod IP as rd-monitor. */
function exporter(s: Shared, plan: TopologyPlan): k8s.types.input.core.v1.Container {
    return {
        name: "metrics",
        image: s.options.images.exporter,
        env: [
            podIpEnv(),
            { name: "REDIS_ADDR", value: `redis://$(POD_IP):${plan.args.port}` },
            // rd-monitor may only PING and read INFO: the INFO metrics, nothing else.
            { name: "REDIS_USER", value: MONITOR_USER },
            { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: s.secret.metadata.name, key: SECRET_KEYS.monitorPassword } } },
        ],
        ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        securityContext: containerSecurity(),
    };
}

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
        if (o.metrics) containers.push(exporter(s, plan));
        const template: PodTemplate = {
            metadata: {
                labels: podLabels,
                annotations: {
                    "redis-deployment/config-checksum": checksum,
                    ...(o.metrics ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(EXPORTER_PORT) } : {}),
                },
            },
            spec: {
                ...podBasics(o),
                ...memberPlacement(name, o, plan, group),
                securityContext: podSecurity(),
                // Time to finish an AOF fsync / RDB save on SIGTERM.
                terminationGracePeriodSeconds: 60,
                containers,
                volumes: redisVolumes(s, config, [SECRET_KEYS.redisAuth, SECRET_KEYS.monitorPassword]),
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
