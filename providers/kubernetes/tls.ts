// TLS on Kubernetes: where each pod finds its certificate files, and the Secrets that hold them.
// Every node has a Secret `<pod>-tls` of type kubernetes.io/tls (tls.crt, tls.key, ca.crt): made
// by the deployment from its certificates, or by cert-manager from tls.certManagerIssuer, the
// same shape either way. A pod template mounts the Secrets of all pods it stands for, each under
// `<PATHS.tls>/<pod>/`; a pod reads its own directory (its name is $HOSTNAME / $(POD_NAME)).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TLS_FILES, isIpAddress, type TlsMaterial } from "../../components/tls";
import type { TopologyPlan } from "../../components/types";
import { PATHS, serviceHost, type KubernetesLayout } from "./layout";

/** The volume every TLS-speaking container mounts at PATHS.tls. */
export const TLS_VOLUME = "tls";

/** Keys of a kubernetes.io/tls Secret (cert-manager writes the same three). */
export const TLS_SECRET_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** The Secret with one pod's certificate (`pod`: a member or sentinel pod, or the HAProxy Deployment's name). */
export function tlsSecretName(pod: string): string {
    return `${pod}-tls`;
}

/** The directory of one pod's certificate files inside its containers. */
export function podTlsDir(pod: string): string {
    return `${PATHS.tls}/${pod}`;
}

/** The ConfigMap with the deployment's CA certificate (public): every pod's `ca.crt`. */
export function caConfigMapName(deployment: string): string {
    return `${deployment}-tls-ca`;
}

/** The pod name under which the deployment's own client certificate is mounted (the backup CronJob). */
export function clientTlsName(deployment: string): string {
    return `${deployment}-client`;
}

/**
 * The names each node's certificate must cover (tlsSubjects): a member's or sentinel's stable
 * DNS name, with and without the cluster domain; HAProxy's Service by every name a client in the
 * cluster may use. Every planned proxy gets the same names: the HAProxy pods share one certificate.
 */
export function kubernetesTlsSubjects(plan: TopologyPlan, layout: KubernetesLayout): Record<string, string[]> {
    const withoutDomain = (host: string) => host.slice(0, host.length - layout.domain.length - 1);
    const proxyHost = serviceHost(layout.haproxy, layout.namespace, layout.domain);
    return Object.fromEntries([
        ...[...layout.members, ...layout.sentinels].map((n) => [n.name, [n.address, withoutDomain(n.address)]]),
        ...plan.proxies.map((p) => [p.name, [proxyHost, withoutDomain(proxyHost), `${layout.haproxy}.${layout.namespace}`, layout.haproxy]]),
    ]);
}

/** Pod (or directory) name -> the planned node whose certificate it holds. */
export function certificateHolders(plan: TopologyPlan, layout: KubernetesLayout): Record<string, string> {
    return Object.fromEntries([
        ...[...layout.members, ...layout.sentinels].map((n) => [n.pod, n.name]),
        ...(plan.proxies.length > 0 ? [[layout.haproxy, plan.proxies[0].name]] : []),
    ]);
}

interface TlsObjectsContext {
    deployment: string;
    plan: TopologyPlan;
    layout: KubernetesLayout;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    opts: pulumi.CustomResourceOptions;
    material: pulumi.Output<TlsMaterial>;
    subjects: Record<string, string[]>;
}

/**
 * The CA ConfigMap and one kubernetes.io/tls Secret per pod (plus the deployment's client
 * certificate): from the deployment's certificates, or as cert-manager Certificates whose
 * Secrets cert-manager writes (the keys then never pass through Pulumi).
 */
export function tlsObjects(c: TlsObjectsContext): pulumi.Resource[] {
    const { deployment, plan, layout, namespace, labels, opts, material } = c;
    const tls = plan.args.tls;
    const meta = (name: string) => ({ name, namespace, labels });
    const resources: pulumi.Resource[] = [new k8s.core.v1.ConfigMap(caConfigMapName(deployment), {
        metadata: meta(caConfigMapName(deployment)),
        data: { [TLS_SECRET_KEYS.ca]: material.apply((m) => m.ca) },
    }, opts)];
    const holders: [string, string | undefined][] = [...Object.entries(certificateHolders(plan, layout)), [clientTlsName(deployment), undefined]];
    for (const [pod, node] of holders) {
        const secretName = tlsSecretName(pod);
        if (tls.certManagerIssuer) {
            const names = node ? c.subjects[node] : [];
            resources.push(new k8s.apiextensions.CustomResource(secretName, {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: meta(secretName),
                spec: {
                    secretName,
                    secretTemplate: { labels },
                    ...(node ? {} : { commonName: "rd-client" }),
                    dnsNames: names.filter((n) => !isIpAddress(n)),
                    ipAddresses: names.filter(isIpAddress),
                    duration: `${tls.validityDays * 24}h`,
                    renewBefore: `${tls.renewBeforeDays * 24}h`,
                    usages: node ? ["digital signature", "key encipherment", "server auth", "client auth"] : ["digital signature", "key encipherment", "client auth"],
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    issuerRef: { name: tls.certManagerIssuer.name, kind: tls.certManagerIssuer.kind, group: "cert-manager.io" },
                },
            }, opts));
            continue;
        }
        // A node certificate serves as a client certificate too; with tls.certificates and no
        // CA key there is no client certificate of the deployment's own: the first member's serves.
        const pair = (m: TlsMaterial) => (node ? m.nodes?.[node] : m.client ?? m.nodes?.[plan.members[0].name]) ?? { certificate: "", key: "" };
        resources.push(new k8s.core.v1.Secret(secretName, {
            metadata: meta(secretName),
            type: "kubernetes.io/tls",
            stringData: pulumi.secret(material.apply((m) => ({
                [TLS_SECRET_KEYS.cert]: pair(m).certificate,
                [TLS_SECRET_KEYS.key]: pair(m).key,
                [TLS_SECRET_KEYS.ca]: m.ca,
            }))),
        }, opts));
    }
    return resources;
}

/**
 * The `tls` volume of a pod template that stands for `pods`: each pod's certificate and key from
 * its Secret and the CA from the ConfigMap, under `<pod>/`. HAProxy (`pem`) reads its certificate
 * from node.pem and the key from node.pem.key (HAProxy's ssl-load-extra-files).
 */
export function tlsVolume(deployment: string, pods: string[], format: "redis" | "pem" = "redis"): k8s.types.input.core.v1.Volume {
    const certFile = format === "pem" ? TLS_FILES.pem : TLS_FILES.cert;
    const keyFile = format === "pem" ? `${TLS_FILES.pem}.key` : TLS_FILES.key;
    return {
        name: TLS_VOLUME,
        projected: {
            defaultMode: 0o440,
            sources: [
                { configMap: { name: caConfigMapName(deployment), items: pods.map((pod) => ({ key: TLS_SECRET_KEYS.ca, path: `${pod}/${TLS_FILES.ca}` })) } },
                ...pods.map((pod) => ({
                    secret: {
                        name: tlsSecretName(pod),
                        items: [{ key: TLS_SECRET_KEYS.cert, path: `${pod}/${certFile}` }, { key: TLS_SECRET_KEYS.key, path: `${pod}/${keyFile}` }],
                    },
                })),
            ],
        },
    };
}

/** The read-only mount of the `tls` volume. */
export function tlsMount(): k8s.types.input.core.v1.VolumeMount {
    return { name: TLS_VOLUME, mountPath: PATHS.tls, readOnly: true };
}
