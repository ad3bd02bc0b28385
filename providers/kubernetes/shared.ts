// The objects every role shares, made once per deployment: the provider (for a given kubeconfig
// or context), the namespace when the deployment creates it, the Secret, the scripts ConfigMap
// and the headless Service that gives members and sentinels their stable names.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ProviderContext } from "../types";
import type { KubernetesOptions } from "./args";
import type { KubernetesLayout } from "./layout";
import { labels, servicePorts, type Labels } from "./pods";
import { probeScript, startRedisScript, startSentinelScript } from "./scripts";
import { secretData } from "./secret";
import { kubernetesTlsSubjects, tlsObjects } from "./tls";
import { certificateSubjects } from "../../components/tls";

export interface Shared {
    /** The deployment's name: the instance label of every object. */
    name: string;
    options: KubernetesOptions;
    layout: KubernetesLayout;
    namespace: pulumi.Input<string>;
    opts: pulumi.CustomResourceOptions;
    secret: k8s.core.v1.Secret;
    scripts: k8s.core.v1.ConfigMap;
    headless: k8s.core.v1.Service;
    /** What every pod-owning object depends on. */
    resources: pulumi.Resource[];
    /** `deleteDataOnDestroy`: whether `destroy` takes the PVCs along. */
    deleteData: boolean;
    /** tls.enabled: pods mount their certificates (tls.ts). */
    tls: boolean;
}

export function createShared(name: string, o: KubernetesOptions, layout: KubernetesLayout, ctx: ProviderContext): Shared {
    const { plan } = ctx;
    let provider = o.provider;
    if (!provider && (o.kubeconfig || o.context)) {
        provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: o.kubeconfig, context: o.context }, { parent: ctx.parent });
    }
    const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, ...(provider ? { provider } : {}) };
    const resources: pulumi.Resource[] = [];
    let namespace: pulumi.Input<string> = o.namespace;
    if (o.createNamespace) {
        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: o.namespace, labels: { "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "redis-deployment" } },
        }, { ...opts, retainOnDelete: !plan.args.deleteDataOnDestroy }); // deleting it would take the PVCs along
        namespace = ns.metadata.name; // every namespaced object waits for it
        resources.push(ns);
    }
    const meta = (objectName: string, objectLabels: Labels) => ({ name: objectName, namespace, labels: objectLabels });

    // The one place the passwords live. The component's credentials are a secret Output; the
    // Secret's data is marked secret again here so that holds whatever the caller passes.
    const secret = new k8s.core.v1.Secret(layout.secret, {
        metadata: meta(layout.secret, labels(name, "redis")),
        type: "Opaque",
        stringData: pulumi.secret(ctx.credentials.apply((c) => secretData(plan, c))),
    }, opts);
    const scripts = new k8s.core.v1.ConfigMap(layout.scripts, {
        metadata: meta(layout.scripts, labels(name, "redis")),
        data: { "start-redis.sh": startRedisScript(plan, layout.members), "start-sentinel.sh": startSentinelScript(plan), "probe.sh": probeScript(plan) },
    }, opts);
    // Stable DNS names <pod>.<name>-headless.<ns>.svc.<domain> for members and sentinels,
    // published before the pods are ready: a member must be reachable by name to join.
    const headless = new k8s.core.v1.Service(layout.headless, {
        metadata: meta(layout.headless, labels(name, "redis")),
        spec: {
            clusterIP: "None",
            publishNotReadyAddresses: true,
            selector: { "app.kubernetes.io/instance": name, "redis-deployment/stable-name": "true" },
            ports: servicePorts(plan, ["member", "sentinel"]),
        },
    }, opts);
    resources.push(secret, scripts, headless);
    // With TLS: the CA ConfigMap and each pod's certificate Secret (or cert-manager Certificate).
    if (ctx.tls) {
        resources.push(...tlsObjects({
            deployment: name, plan, layout, namespace, labels: labels(name, "redis"), opts, material: ctx.tls, subjects: certificateSubjects(plan.args.tls, plan.proxies.map((p) => p.name), kubernetesTlsSubjects(plan, layout)),
        }));
    }
    return { name, options: o, layout, namespace, opts, secret, scripts, headless, resources, deleteData: plan.args.deleteDataOnDestroy, tls: plan.args.tls.enabled };
}
