// HAProxy in front of the members: a Deployment reading its config from a ConfigMap (the members
// found by their stable names through the cluster DNS), a Service, a PodDisruptionBudget, and a
// LoadBalancer Service when asked.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AddressedMember, TopologyPlan } from "../../components/types";
import type { NodeHandles, ProxyNode } from "../types";
import { HAPROXY_PASSWORD_ENV, digest, haproxyConfig } from "./configs";
import { ANY_ZONE, PATHS, serviceHost, type KubernetesLayout } from "./layout";
import { spreadPlacement } from "./placement";
import { configMap, containerPorts, containerSecurity, disruptionBudget, labels, podBasics, selector, servicePorts } from "./pods";
import { SECRET_KEYS } from "./secret";
import type { Shared } from "./shared";
import { podTlsDir, tlsMount, tlsVolume } from "./tls";
import { tlsWatcher } from "./scripts";
import { tlsPath } from "../../components/tls";

const HAPROXY_COMMAND = `haproxy -W -db -f ${PATHS.haproxyConfig}/haproxy.cfg`;

/** With TLS, HAProxy's container runs this (sh -c): the certificate watcher, then HAProxy. */
export function haproxyTlsCommand(plan: TopologyPlan, layout: KubernetesLayout): string {
    const dir = podTlsDir(layout.haproxy);
    return `${tlsWatcher(plan, [tlsPath(dir, "ca"), tlsPath(dir, "pem"), `${tlsPath(dir, "pem")}.key`], "kill -USR2 $$")}exec ${HAPROXY_COMMAND}`;
}

export function proxyObjects(s: Shared, plan: TopologyPlan, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
    const { name, options: o, layout } = s;
    const proxy = plan.proxies[0];
    const cfg = members.apply((ms) => haproxyConfig(plan, ms.map((m) => ({ ...m, group: "", pod: "" }))));
    const config = configMap(s, layout.haproxy, "haproxy", { "haproxy.cfg": cfg });
    const deployment = new k8s.apps.v1.Deployment(layout.haproxy, {
        metadata: { name: layout.haproxy, namespace: s.namespace, labels: labels(name, "haproxy") },
        spec: {
            replicas: plan.proxies.length,
            selector: { matchLabels: selector(name, "haproxy") },
            template: {
                metadata: {
                    labels: labels(name, "haproxy"),
                    annotations: {
                        "redis-deployment/config-checksum": cfg.apply((c) => digest(c, o.images.haproxy)),
                        // HAProxy reads its check password (rd-monitor) from the Secret at start:
                        // a rotation of the internal passwords rolls the pods onto the new one
                        // (valid everywhere from phase 1 on, next to the old one).
                        ...(plan.args.rotateInternal > 0 ? { "redis-deployment/internal-passwords": String(plan.args.rotateInternal) } : {}),
                    },
                },
                spec: {
                    ...podBasics(o),
                    ...spreadPlacement(name, o, "haproxy", plan.proxies.map((p) => p.zone)),
                    // The image's user is named (USER haproxy): the kubelet only verifies runAsNonRoot
                    // against a numeric uid, so name it (99 in the official image).
                    // With TLS, fsGroup lets it read its key (mode 0440).
                    securityContext: { runAsUser: 99, runAsGroup: 99, runAsNonRoot: true, ...(s.tls ? { fsGroup: 99 } : {}) },
                    containers: [{
                        name: "haproxy",
                        image: o.images.haproxy,
                        // With TLS a watcher reloads HAProxy (master-worker: SIGUSR2) on a renewed certificate.
                        command: s.tls ? ["sh", "-c", haproxyTlsCommand(plan, layout)] : HAPROXY_COMMAND.split(" "),
                        // The health check's password: a reference to the Secret, expanded by HAProxy.
                        env: [{ name: HAPROXY_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: s.secret.metadata.name, key: SECRET_KEYS.monitorPassword } } }],
                        ports: containerPorts(plan, "proxy"),
                        readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5 },
                        livenessProbe: { tcpSocket: { port: "redis" }, initialDelaySeconds: 10, periodSeconds: 10 },
                        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                        securityContext: containerSecurity(),
                        volumeMounts: [{ name: "config", mountPath: PATHS.haproxyConfig, readOnly: true }, ...(s.tls ? [tlsMount()] : [])],
                    }],
                    volumes: [{ name: "config", configMap: { name: config.metadata.name } }, ...(s.tls ? [tlsVolume(name, [layout.haproxy], "pem")] : [])],
                },
            },
        },
    }, { ...s.opts, dependsOn: [config, ...dependsOn] });
    const service = new k8s.core.v1.Service(layout.haproxy, {
        metadata: { name: layout.haproxy, namespace: s.namespace, labels: labels(name, "haproxy") },
        spec: { selector: selector(name, "haproxy"), ports: servicePorts(plan, ["proxy"]) },
    }, s.opts);
    const budget = disruptionBudget(s, layout.haproxy, labels(name, "haproxy"), selector(name, "haproxy"), s.resources);
    // One node: the Service in front of the HAProxy pods (they have no names of their own).
    const node: ProxyNode = {
        name: layout.haproxy,
        zone: ANY_ZONE,
        address: serviceHost(layout.haproxy, layout.namespace, layout.domain),
        port: proxy.port,
        readPort: proxy.readPort,
    };
    return { nodes: pulumi.output([node]), resources: [config, deployment, service, budget], generation: cfg.apply((c) => digest(c)) };
}

/** The LoadBalancer Service in front of the HAProxy pods; its address once the cloud gave one. */
export function loadBalancerObjects(s: Shared, plan: TopologyPlan, proxies: NodeHandles<ProxyNode>): pulumi.Output<string> {
    const { name, layout } = s;
    const lb = s.options.loadBalancer;
    const service = new k8s.core.v1.Service(layout.loadBalancer, {
        metadata: { name: layout.loadBalancer, namespace: s.namespace, labels: labels(name, "haproxy"), annotations: lb.annotations },
        spec: {
            type: "LoadBalancer",
            selector: selector(name, "haproxy"),
            ports: servicePorts(plan, ["proxy"], true),
            ...(lb.sourceRanges ? { loadBalancerSourceRanges: lb.sourceRanges } : {}),
        },
    }, { ...s.opts, dependsOn: proxies.resources });
    const port = plan.proxies[0].port;
    return service.status.apply((status) => {
        const ingress = status?.loadBalancer?.ingress?.[0];
        const host = ingress?.ip || ingress?.hostname;
        if (!host) throw new Error(`RedisDeployment "${name}": Service ${layout.loadBalancer} got no load balancer address`);
        return `${host}:${port}`;
    });
}
