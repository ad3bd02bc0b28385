// Kernel tuning for Redis on Kubernetes (Redis' own recommendations: a listen backlog above its
// tcp-backlog, transparent huge pages off, memory overcommit on). The pod's network namespace
// takes net.core.somaxconn as a pod sysctl; THP and overcommit are node-wide and need a
// privileged container on the node, so both are opt-in (see KubernetesProviderArgs).
import type * as k8s from "@pulumi/kubernetes";
import type { KubernetesOptions } from "./args";

/** The members' pod sysctls: net.core.somaxconn when asked. */
export function podSysctls(o: KubernetesOptions): Pick<k8s.types.input.core.v1.PodSecurityContext, "sysctls"> {
    return o.somaxconn === undefined ? {} : { sysctls: [{ name: "net.core.somaxconn", value: String(o.somaxconn) }] };
}

/** The script the node-tuning init container runs: THP never, overcommit 1; fails loudly if the node refuses. */
export const NODE_TUNING_SCRIPT = `set -eu
for f in enabled defrag; do
    echo never > /sys/kernel/mm/transparent_hugepage/$f
done
echo 1 > /proc/sys/vm/overcommit_memory
echo "node tuned: transparent_hugepage=$(cat /sys/kernel/mm/transparent_hugepage/enabled) vm.overcommit_memory=$(cat /proc/sys/vm/overcommit_memory)"
`;

/**
 * With tuneNodes: a privileged init container (root, the Redis image's sh) that tunes the node
 * before Redis starts. Privileged is what lets it write the node's /sys and /proc/sys; it runs
 * no longer than those three writes.
 */
export function nodeTuningContainers(o: KubernetesOptions): k8s.types.input.core.v1.Container[] {
    if (!o.tuneNodes) return [];
    return [{
        name: "tune-node",
        image: o.images.redis,
        command: ["sh", "-c", NODE_TUNING_SCRIPT],
        securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
    }];
}
