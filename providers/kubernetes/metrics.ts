// Metrics on Kubernetes: a redis_exporter sidecar next to every member and sentinel (on the pod
// IP, as rd-monitor, its password from the deployment's Secret; with TLS over TLS to the pod's
// DNS name with the pod's own certificate), HAProxy's stats port on its container (haproxy.cfg),
// and, when asked, a Prometheus Operator ServiceMonitor over the headless Service (members,
// sentinels) and the HAProxy Service.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { METRICS_PATH, exporterConnection } from "../../components/metrics";
import { MONITOR_USER, type TopologyPlan } from "../../components/types";
import { podHost } from "./layout";
import { PORT_NAMES, containerSecurity, podIpEnv } from "./pods";
import { SECRET_KEYS } from "./secret";
import type { Shared } from "./shared";
import { podTlsDir, tlsMount } from "./tls";

/** The pod's own name (downward API); Kubernetes expands `$(POD_NAME)` in the args and in later env values. */
export function podNameEnv(): k8s.types.input.core.v1.EnvVar {
    return { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } };
}

/**
 * The exporter sidecar of a member (`port`: Redis) or a sentinel (`port`: Sentinel). With TLS it
 * dials the pod's stable DNS name, the name its certificate carries (the pod IP is not in it),
 * and reads the pod's own directory of the `tls` volume (the pod template mounts the files of
 * every pod it stands for, one directory each).
 */
export function exporterContainer(s: Shared, plan: TopologyPlan, port: number): k8s.types.input.core.v1.Container {
    const exporterPort = plan.args.metrics.exporterPort;
    const tls = plan.args.tls.enabled;
    const pod = "$(POD_NAME)";
    const connection = tls
        ? exporterConnection(podHost(pod, s.layout.headless, s.layout.namespace, s.layout.domain), port, podTlsDir(pod))
        : exporterConnection("$(POD_IP)", port);
    return {
        name: "metrics",
        image: s.options.images.exporter,
        env: [
            podIpEnv(),
            ...(tls ? [podNameEnv()] : []),
            { name: "REDIS_ADDR", value: connection.url },
            { name: "REDIS_USER", value: MONITOR_USER },
            { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: s.secret.metadata.name, key: SECRET_KEYS.monitorPassword } } },
        ],
        // The image's entrypoint is redis_exporter: flags as arguments, every address of the pod.
        args: [`-web.listen-address=:${exporterPort}`, ...connection.flags],
        ports: [{ name: PORT_NAMES.metrics, containerPort: exporterPort }],
        ...(tls ? { volumeMounts: [tlsMount()] } : {}),
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        securityContext: containerSecurity(),
    };
}

/** Pod annotations for annotation-based scraping (`prometheus.io/*`). */
export function scrapeAnnotations(plan: TopologyPlan): Record<string, string> {
    if (!plan.args.metrics.enabled) return {};
    return { "prometheus.io/scrape": "true", "prometheus.io/port": String(plan.args.metrics.exporterPort), "prometheus.io/path": METRICS_PATH };
}

/**
 * A ServiceMonitor (monitoring.coreos.com/v1) selecting the deployment's headless Service
 * (members and sentinels: port `metrics`) and HAProxy's Service (port `stats`). The sentinels'
 * client Service is left out so no sentinel is scraped twice.
 */
export function serviceMonitor(s: Shared, plan: TopologyPlan, dependsOn: pulumi.Resource[]): k8s.apiextensions.CustomResource {
    const name = `${s.name}-metrics`;
    return new k8s.apiextensions.CustomResource(name, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name, namespace: s.namespace, labels: { "app.kubernetes.io/instance": s.name, "app.kubernetes.io/managed-by": "redis-deployment" } },
        spec: {
            selector: {
                matchLabels: { "app.kubernetes.io/instance": s.name },
                matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: plan.proxies.length > 0 ? ["redis", "haproxy"] : ["redis"] }],
            },
            namespaceSelector: { matchNames: [s.layout.namespace] },
            endpoints: [
                { port: PORT_NAMES.metrics, path: METRICS_PATH },
                ...(plan.proxies.length > 0 ? [{ port: PORT_NAMES["haproxy-stats"], path: METRICS_PATH }] : []),
            ],
        },
    }, { ...s.opts, dependsOn });
}
