// RedisDeployment on the Kubernetes provider, under Pulumi mocks: the objects it registers for
// cluster 3x1, sentinel 1+2 with 3 sentinels and replication 1+2 (names, namespace, Secret,
// ConfigMaps, StatefulSets with a PVC per member, headless Service, PodDisruptionBudgets,
// probes, HAProxy, LoadBalancer, metrics sidecar), placement per the plan, the announce-hostname
// settings in the rendered configs, the passwords only in the Secret, and secret outputs.
// Nothing runs: the configs themselves are proven by the real programs in kubernetes-configs.test.ts.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash } from "../../components/config/users";
import { RedisDeployment } from "../../components/redisDeployment";
import { ADMIN_USER, MONITOR_USER } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { INTERNAL_LB_ANNOTATIONS, validateKubernetesArgs } from "../../providers/kubernetes/args";
import { NODE_TUNING_SCRIPT } from "../../providers/kubernetes/tuning";
import { HAPROXY_PASSWORD_ENV, PLACEHOLDER, SECRET_KEYS } from "../../providers/kubernetes/config";
import { POD_INDEX_LABEL, ZONE_LABEL } from "../../providers/kubernetes";
import { plan } from "../../components/plan";
import { PATHS, kubernetesLayout } from "../../providers/kubernetes/layout";
import { exporterContainer } from "../../providers/kubernetes/metrics";
import type { Shared } from "../../providers/kubernetes/shared";
import { TLS_VOLUME, podTlsDir } from "../../providers/kubernetes/tls";
import { MOCK_GENERATED, RejectionTrap, isWrappedSecret, programResult, redactSecrets, settle, unwrap, value } from "../helpers/mocks";

const PROJECT = "proj";
const STACK = "stack";
const COMPONENT = "redis-deployment:index:RedisDeployment";
const GIVEN_PASSWORD = "given-k8s-app-password-0123456789";
const LB_IP = "10.20.30.40";
const T = {
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    provider: "pulumi:providers:kubernetes",
};

interface Seen {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider?: string;
}

/** Mocks that record every registration; a LoadBalancer Service gets an address like a cloud would give it. */
async function installMocks(seen: Seen[]): Promise<void> {
    seen.length = 0;
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            seen.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
            let extra: Record<string, unknown> = {};
            if (args.type.endsWith(":DeploymentPassword")) {
                extra = { ...MOCK_GENERATED, ...(args.inputs.given !== undefined ? { password: args.inputs.given } : {}) };
            } else if (args.type === T.service && args.inputs.spec?.type === "LoadBalancer") {
                extra = { status: { loadBalancer: { ingress: [{ ip: LB_IP }] } } };
            }
            return { id: `${args.name}_id`, state: { ...args.inputs, ...extra } };
        },
        call: () => ({}),
    }, PROJECT, STACK, false);
}

interface Built {
    deployment: RedisDeployment;
    seen: Seen[];
    outputs: Record<string, any>;
    secret: Record<string, boolean>;
}

const OUTPUTS = ["endpoint", "readEndpoint", "sentinelAddresses", "masterName", "clusterNodes", "members", "proxyAddresses", "password", "connectionUrl", "diagram", "metricsTargets"];

async function build(name: string, args: RedisDeploymentArgs, trap: RejectionTrap): Promise<Built> {
    const seen: Seen[] = [];
    await installMocks(seen);
    trap.start();
    try {
        const deployment = new RedisDeployment(name, args);
        const outputs: Record<string, any> = {};
        const secret: Record<string, boolean> = {};
        for (const key of OUTPUTS) {
            const out = (deployment as unknown as Record<string, pulumi.Output<unknown>>)[key];
            outputs[key] = await value(out);
            secret[key] = await pulumi.isSecret(out);
        }
        await settle();
        assert.deepEqual(trap.errors.map(String), [], "no unhandled rejections while the component was built");
        return { deployment, seen, outputs, secret };
    } finally {
        trap.stop();
    }
}

const ofType = (b: Built, type: string) => b.seen.filter((r) => r.type === type);
const named = (b: Built, type: string, name: string) => {
    const found = b.seen.filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `exactly one ${type} named ${name}, saw ${ofType(b, type).map((r) => r.name).join(", ")}`);
    return found[0];
};
const names = (b: Built, type: string) => ofType(b, type).map((r) => r.name).sort();

/** Every pod template the deployment registers (StatefulSets and the HAProxy Deployment). */
function podSpecs(b: Built): { owner: string; template: any }[] {
    return [...ofType(b, T.statefulSet), ...ofType(b, T.deployment)].map((r) => ({ owner: r.name, template: r.inputs.spec.template }));
}

/** Does a label selector select these labels? */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The three passwords and their SHA-256 hashes: none may appear outside the Secret. */
function secretsOf(password: string): string[] {
    const all = [password, MOCK_GENERATED.adminPassword, MOCK_GENERATED.monitorPassword];
    return [...all, ...all.map(passwordHash)];
}

interface Case {
    title: string;
    name: string;
    args: RedisDeploymentArgs;
    namespace: string;
    createsNamespace: boolean;
    statefulSets: Record<string, number>;
    configMaps: string[];
    services: string[];
    pdbs: string[];
    haproxy: boolean;
    bootstrap: string;
}

const CASES: Case[] = [
    {
        title: "cluster 3x1 (zones given, storage class and size, metrics sidecar)",
        name: "clus",
        args: {
            provider: "kubernetes", mode: "cluster", shards: 3, replicasPerShard: 1, maxmemory: "1gb", zones: ["z1", "z2", "z3"],
            kubernetes: { storageClass: "fast-ssd", storageSize: "20Gi", metrics: true },
        },
        namespace: "clus",
        createsNamespace: true,
        statefulSets: { "clus-s0": 2, "clus-s1": 2, "clus-s2": 2 },
        configMaps: ["clus-s0-config", "clus-s1-config", "clus-s2-config", "clus-scripts"],
        services: ["clus-headless"],
        pdbs: ["clus-s0", "clus-s1", "clus-s2"],
        haproxy: false,
        bootstrap: "ClusterBootstrap",
    },
    {
        title: "sentinel 1+2 with 3 sentinels (given namespace, colocate-masters, internal AWS load balancer)",
        name: "sent",
        args: {
            provider: "kubernetes", mode: "sentinel", replicasPerShard: 2, sentinels: 3, maxmemory: "512mb", zones: ["z1", "z2", "z3"],
            placement: "colocate-masters", loadBalancer: true,
            kubernetes: {
                namespace: "redis-prod", storageClass: "gp3", sentinelStorageSize: "2Gi",
                loadBalancer: { cloud: "aws", annotations: { "example.com/team": "cache" }, sourceRanges: ["10.0.0.0/8"] },
            },
        },
        namespace: "redis-prod",
        createsNamespace: false,
        statefulSets: { "sent-master": 1, "sent-replica": 2, "sent-sentinel": 3 },
        configMaps: ["sent-haproxy-config", "sent-master-config", "sent-replica-config", "sent-scripts", "sent-sentinel-config"],
        services: ["sent-haproxy", "sent-headless", "sent-lb", "sent-sentinel"],
        pdbs: ["sent-haproxy", "sent-redis", "sent-sentinel"],
        haproxy: true,
        bootstrap: "SentinelBootstrap",
    },
    {
        title: "replication 1+2 (no zones: the scheduler spreads; default storage class and size)",
        name: "repl",
        args: { provider: "kubernetes", mode: "replication", replicasPerShard: 2, maxmemory: "256mb" },
        namespace: "repl",
        createsNamespace: true,
        statefulSets: { "repl-master": 1, "repl-replica": 2 },
        configMaps: ["repl-haproxy-config", "repl-master-config", "repl-replica-config", "repl-scripts"],
        services: ["repl-haproxy", "repl-headless"],
        pdbs: ["repl-haproxy", "repl-redis"],
        haproxy: true,
        bootstrap: "ReplicationBootstrap",
    },
];

describe("RedisDeployment on Kubernetes (Pulumi mocks)", function () {
    this.timeout(60000);
    const trap = new RejectionTrap();

    for (const c of CASES) {
        describe(c.title, () => {
            let b: Built;
            const fqdn = (pod: string) => `${pod}.${c.name}-headless.${c.namespace}.svc.cluster.local`;
            const memberPods = Object.entries(c.statefulSets).filter(([s]) => !s.endsWith("-sentinel"))
                .flatMap(([set, n]) => Array.from({ length: n }, (_, i) => `${set}-${i}`));

            before(async () => {
                b = await build(c.name, { ...c.args, auth: { password: GIVEN_PASSWORD } }, trap);
            });

            it("registers exactly the expected Kubernetes objects, named after the deployment", () => {
                assert.deepEqual(names(b, T.namespace), c.createsNamespace ? [`${c.name}-namespace`] : []);
                assert.deepEqual(names(b, T.secret), [`${c.name}-auth`]);
                assert.deepEqual(names(b, T.configMap), c.configMaps);
                assert.deepEqual(names(b, T.service), c.services);
                assert.deepEqual(Object.fromEntries(ofType(b, T.statefulSet).map((s) => [s.name, s.inputs.spec.replicas])), c.statefulSets);
                assert.deepEqual(names(b, T.pdb), c.pdbs);
                assert.deepEqual(names(b, T.deployment), c.haproxy ? [`${c.name}-haproxy`] : []);
                assert.deepEqual(names(b, T.provider), [], "no provider of its own without kubeconfig/context");
                const dynamic = b.seen.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => r.type.split(":").pop()).sort();
                assert.deepEqual(dynamic, [c.bootstrap, "CredentialsSync", "DeploymentPassword"].sort());
                const known = new Set([COMPONENT, ...Object.values(T)]);
                assert.deepEqual(b.seen.filter((r) => !known.has(r.type) && !r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => r.type), []);
                // metadata.name is the object's name in the cluster: the DNS names depend on it.
                for (const r of b.seen.filter((x) => x.type.startsWith("kubernetes:") && x.type !== T.namespace)) {
                    assert.equal(r.inputs.metadata.name, r.name, `${r.type} ${r.name}: metadata.name`);
                }
            });

            it("puts every object in the namespace (created, or the given one) and parents it to the component", async () => {
                if (c.createsNamespace) assert.equal(named(b, T.namespace, `${c.name}-namespace`).inputs.metadata.name, c.namespace);
                for (const r of b.seen.filter((x) => x.type.startsWith("kubernetes:") && x.type !== T.namespace)) {
                    assert.equal(r.inputs.metadata.namespace, c.namespace, `${r.type} ${r.name}`);
                }
                const urns = [...(pulumi.runtime.getMonitor() as any).getRegisteredResources().keys()] as string[];
                for (const r of b.seen.filter((x) => x.type !== COMPONENT)) {
                    const urn = urns.find((u) => u.endsWith(`::${r.name}`) && u.includes(r.type));
                    assert.ok(urn?.includes(`${COMPONENT}$`), `${r.type} ${r.name} is a child of the component (${urn})`);
                }
            });

            it("headless Service: no cluster IP, names published before readiness, selects members and sentinels only", () => {
                const svc = named(b, T.service, `${c.name}-headless`).inputs.spec;
                assert.equal(svc.clusterIP, "None");
                assert.equal(svc.publishNotReadyAddresses, true);
                for (const set of ofType(b, T.statefulSet)) {
                    assert.equal(set.inputs.spec.serviceName, `${c.name}-headless`, `${set.name}: serviceName gives its pods DNS names`);
                    assert.ok(selects(svc.selector, set.inputs.spec.template.metadata.labels), `${set.name}'s pods get stable names`);
                }
                for (const d of ofType(b, T.deployment)) assert.ok(!selects(svc.selector, d.inputs.spec.template.metadata.labels), "HAProxy pods get no member name");
                const ports = svc.ports.map((p: any) => p.name).sort();
                const base = c.args.mode === "cluster" ? ["cluster-bus", "redis"] : c.args.mode === "sentinel" ? ["redis", "sentinel"] : ["redis"];
                // With metrics the exporters' port too: the ServiceMonitor scrapes members and sentinels through it.
                assert.deepEqual(ports, c.args.kubernetes?.metrics ? [...base, "metrics"].sort() : base);
            });

            it("a PVC per member and per sentinel through volumeClaimTemplates, with the storage class and size", () => {
                for (const set of ofType(b, T.statefulSet)) {
                    const [claim] = set.inputs.spec.volumeClaimTemplates;
                    assert.equal(set.inputs.spec.volumeClaimTemplates.length, 1);
                    assert.equal(claim.metadata.name, "data");
                    assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
                    assert.equal(claim.spec.storageClassName, c.args.kubernetes?.storageClass, `${set.name}: storage class`);
                    const sentinel = set.name.endsWith("-sentinel");
                    // Default: 6 x maxmemory with AOF (512mb -> 3Gi, 256mb -> 1536Mi).
                    const expected = sentinel ? (c.args.kubernetes?.sentinelStorageSize ?? "1Gi")
                        : c.args.kubernetes?.storageSize ?? { sent: "3Gi", repl: "1536Mi" }[c.name];
                    assert.equal(claim.spec.resources.requests.storage, expected, `${set.name}: size`);
                    const mount = set.inputs.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === "data");
                    assert.equal(mount.mountPath, "/data", `${set.name}: the claim is the data directory`);
                    assert.equal(set.inputs.spec.podManagementPolicy, "Parallel");
                    assert.deepEqual(set.inputs.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
                }
            });

            it("StatefulSet selectors match their own pods only; a PodDisruptionBudget per shard, sentinels and proxies", () => {
                const sets = ofType(b, T.statefulSet);
                for (const s of sets) {
                    assert.ok(selects(s.inputs.spec.selector.matchLabels, s.inputs.spec.template.metadata.labels), `${s.name} selects its pods`);
                    for (const other of sets.filter((x) => x !== s)) {
                        assert.ok(!selects(s.inputs.spec.selector.matchLabels, other.inputs.spec.template.metadata.labels), `${s.name} does not select ${other.name}'s pods`);
                    }
                }
                const pods = podSpecs(b);
                for (const pdb of ofType(b, T.pdb)) {
                    assert.equal(pdb.inputs.spec.maxUnavailable, 1, `${pdb.name}: one pod at a time`);
                    const covered = pods.filter((p) => selects(pdb.inputs.spec.selector.matchLabels, p.template.metadata.labels)).map((p) => p.owner).sort();
                    assert.ok(covered.length > 0, `${pdb.name} covers some pods`);
                    if (pdb.name.endsWith("-haproxy")) assert.deepEqual(covered, [`${c.name}-haproxy`]);
                    else if (pdb.name.endsWith("-sentinel")) assert.deepEqual(covered, [`${c.name}-sentinel`]);
                    else if (c.args.mode === "cluster") assert.deepEqual(covered, [pdb.name], "one budget per shard");
                    else assert.deepEqual(covered, Object.keys(c.statefulSets).filter((s) => !s.endsWith("-sentinel")).sort(), "the shard's master and replicas");
                }
            });

            it("probes run probe.sh (AUTH with the password read from the mounted Secret); pods run as non-root", () => {
                for (const set of ofType(b, T.statefulSet)) {
                    const spec = set.inputs.spec.template.spec;
                    const kind = set.name.endsWith("-sentinel") ? "sentinel" : "redis";
                    const main = spec.containers[0];
                    assert.equal(main.name, kind);
                    assert.deepEqual(main.readinessProbe.exec.command, ["sh", "/etc/redis-deployment/scripts/probe.sh", "ready", kind]);
                    assert.deepEqual(main.livenessProbe.exec.command, ["sh", "/etc/redis-deployment/scripts/probe.sh", "alive", kind]);
                    assert.deepEqual(main.startupProbe.exec.command, main.livenessProbe.exec.command, "liveness waits for the first answer");
                    assert.ok(main.startupProbe.periodSeconds * main.startupProbe.failureThreshold >= 3600, "an hour to load or wait for a failover");
                    assert.deepEqual(main.command, ["sh", `/etc/redis-deployment/scripts/start-${kind}.sh`]);
                    assert.deepEqual(main.env, [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }], "the only env of Redis: the pod IP");
                    const secretVolume = spec.volumes.find((v: any) => v.name === "secret").secret;
                    assert.equal(secretVolume.secretName, `${c.name}-auth`);
                    assert.deepEqual(secretVolume.items.map((i: any) => i.key).sort(), kind === "sentinel"
                        ? [SECRET_KEYS.password, SECRET_KEYS.sentinelAuth] : [SECRET_KEYS.monitorPassword, SECRET_KEYS.redisAuth], "only the keys the pod needs");
                    assert.equal(secretVolume.defaultMode, 0o440);
                    assert.equal(spec.securityContext.runAsNonRoot, true);
                    assert.equal(main.securityContext.readOnlyRootFilesystem, true);
                    assert.equal(spec.securityContext.runAsUser, 999, "the image's redis user");
                    assert.equal(spec.automountServiceAccountToken, false);
                    const limit = main.resources.limits.memory;
                    if (kind === "redis") assert.equal(limit, { clus: "2560Mi", sent: "1280Mi", repl: "640Mi" }[c.name], "memory: 2.5 x maxmemory");
                }
            });

            it("stable names: redis.conf announces the pod's DNS name (cluster-announce-hostname / replica-announce-ip)", () => {
                for (const pod of memberPods) {
                    const set = pod.replace(/-\d+$/, "");
                    const conf: string = named(b, T.configMap, `${set}-config`).inputs.data[`${pod}.conf`];
                    assert.ok(conf, `${pod}.conf in ${set}-config`);
                    const lines = conf.split("\n");
                    assert.ok(lines.includes(`replica-announce-ip ${fqdn(pod)}`), `${pod}: replica-announce-ip`);
                    assert.ok(lines.includes(`bind ${PLACEHOLDER.podIp}`), `${pod}: binds the pod IP`);
                    assert.ok(lines.includes(`include ${PLACEHOLDER.secretDir}/${SECRET_KEYS.redisAuth}`), `${pod}: includes the Secret's part`);
                    assert.deepEqual(lines.filter((l) => /^(masterauth|requirepass|user) /.test(l)), [], `${pod}: no credential directive in the ConfigMap`);
                    if (c.args.mode === "cluster") {
                        assert.ok(lines.includes(`cluster-announce-hostname ${fqdn(pod)}`), `${pod}: cluster-announce-hostname`);
                        assert.ok(lines.includes("cluster-preferred-endpoint-type hostname"), `${pod}: clients get hostnames`);
                        assert.ok(lines.includes(`cluster-announce-ip ${PLACEHOLDER.podIp}`), `${pod}: the bus announces the current pod IP`);
                    } else {
                        assert.ok(!conf.includes("cluster-"), `${pod}: no cluster settings`);
                    }
                }
                const configMapKeys = ofType(b, T.configMap).filter((r) => !/-(scripts|haproxy-config|sentinel-config)$/.test(r.name)).flatMap((r) => Object.keys(r.inputs.data));
                assert.deepEqual(configMapKeys.sort(), memberPods.map((p) => `${p}.conf`).sort(), "one config per member pod");
            });

            if (c.args.mode === "sentinel") {
                it("sentinel.conf: resolve-hostnames, announce-hostnames, announce-ip = the sentinel pod's DNS name", () => {
                    const data = named(b, T.configMap, `${c.name}-sentinel-config`).inputs.data;
                    assert.deepEqual(Object.keys(data).sort(), [0, 1, 2].map((i) => `${c.name}-sentinel-${i}.conf`));
                    for (let i = 0; i < 3; i++) {
                        const lines = data[`${c.name}-sentinel-${i}.conf`].split("\n");
                        assert.ok(lines.includes("sentinel resolve-hostnames yes"));
                        assert.ok(lines.includes("sentinel announce-hostnames yes"));
                        assert.ok(lines.includes(`sentinel announce-ip ${fqdn(`${c.name}-sentinel-${i}`)}`));
                        assert.ok(lines.indexOf("sentinel resolve-hostnames yes") < lines.findIndex((l: string) => l.startsWith("include ")), "resolve-hostnames before the included/kept state");
                    }
                });
            }

            it("the passwords (and their hashes) are only in the Secret: no ConfigMap, env literal or pod spec holds one", () => {
                const forbidden = secretsOf(GIVEN_PASSWORD);
                const secretObject = named(b, T.secret, `${c.name}-auth`);
                for (const r of b.seen) {
                    if (r === secretObject || r.type.endsWith(":DeploymentPassword")) continue;
                    // Bootstrap resources take the admin password as a secret input: compare what is readable without decryption.
                    const readable = JSON.stringify(r.type.startsWith("pulumi-nodejs:dynamic") ? redactSecrets(r.inputs) : unwrap(r.inputs));
                    for (const s of forbidden) assert.ok(!readable.includes(s), `${r.type} ${r.name} holds a credential`);
                }
                // Env: references (the pod IP, keys of the deployment's Secret) and two known non-secret literals.
                const literals = new Set(["REDIS_ADDR", "REDIS_USER"]);
                for (const { owner, template } of podSpecs(b)) {
                    for (const container of template.spec.containers) {
                        for (const env of container.env ?? []) {
                            const where = `${owner}/${container.name}: env ${env.name}`;
                            if (env.value !== undefined) assert.ok(literals.has(env.name), `${where} is a literal`);
                            else if (env.valueFrom.secretKeyRef) assert.equal(env.valueFrom.secretKeyRef.name, `${c.name}-auth`, where);
                            else assert.deepEqual(env.valueFrom, { fieldRef: { fieldPath: "status.podIP" } }, where);
                        }
                    }
                }
                // The Secret holds them, as a secret input.
                assert.ok(isWrappedSecret(secretObject.inputs.stringData), "stringData is secret");
                const data = unwrap(secretObject.inputs.stringData);
                assert.equal(data[SECRET_KEYS.password], GIVEN_PASSWORD);
                assert.equal(data[SECRET_KEYS.adminPassword], MOCK_GENERATED.adminPassword);
                assert.equal(data[SECRET_KEYS.monitorPassword], MOCK_GENERATED.monitorPassword);
                assert.ok(data[SECRET_KEYS.redisAuth].split("\n").includes(`masterauth ${MOCK_GENERATED.adminPassword}`));
                assert.ok(data[SECRET_KEYS.redisAuth].includes(`user ${ADMIN_USER} on #${passwordHash(MOCK_GENERATED.adminPassword)}`));
                if (c.args.mode === "sentinel") {
                    // Peer sentinels log in as rd-admin; the applications' default user has the application password's hash.
                    const lines = data[SECRET_KEYS.sentinelAuth].split("\n");
                    assert.ok(lines.includes(`sentinel sentinel-user ${ADMIN_USER}`));
                    assert.ok(lines.includes(`sentinel sentinel-pass ${MOCK_GENERATED.adminPassword}`));
                    assert.ok(lines.some((l: string) => l.startsWith(`user default on #${passwordHash(GIVEN_PASSWORD)} `)));
                }
                const bootstrap = b.seen.find((r) => r.type.endsWith(`:${c.bootstrap}`))!;
                assert.ok(isWrappedSecret(bootstrap.inputs.adminPassword), "the bootstrap's admin password is a secret input");
            });

            it("outputs: stable DNS names, secret password and URL", () => {
                const o = b.outputs;
                assert.deepEqual(o.members.map((m: any) => m.address).sort(), memberPods.map(fqdn).sort());
                assert.ok(o.members.every((m: any) => m.port === 6379));
                assert.equal(b.secret.password, true);
                assert.equal(b.secret.connectionUrl, true);
                assert.equal(o.password, GIVEN_PASSWORD);
                assert.equal(o.connectionUrl, `redis://default:${GIVEN_PASSWORD}@${o.endpoint}`);
                for (const key of OUTPUTS.filter((k) => !b.secret[k])) {
                    for (const s of secretsOf(GIVEN_PASSWORD)) assert.ok(!JSON.stringify(o[key] ?? "").includes(s), `non-secret output ${key} holds a credential`);
                }
                const haproxy = `${c.name}-haproxy.${c.namespace}.svc.cluster.local`;
                if (c.args.mode === "cluster") {
                    assert.deepEqual(o.clusterNodes, memberPods.map((p) => `${fqdn(p)}:6379`));
                    assert.equal(o.endpoint, `${fqdn(`${c.name}-s0-0`)}:6379`);
                    assert.deepEqual(o.proxyAddresses, []);
                } else {
                    assert.deepEqual(o.proxyAddresses, [`${haproxy}:6379`]);
                    assert.equal(o.readEndpoint, `${haproxy}:6380`);
                    assert.equal(o.endpoint, c.args.loadBalancer ? `${LB_IP}:6379` : `${haproxy}:6379`);
                }
                assert.deepEqual(o.sentinelAddresses, c.args.mode === "sentinel" ? [0, 1, 2].map((i) => `${fqdn(`${c.name}-sentinel-${i}`)}:26379`) : []);
            });

            it("the bootstrap reaches the members' DNS names through the Kubernetes API (access kind kubernetes)", () => {
                const bootstrap = b.seen.find((r) => r.type.endsWith(`:${c.bootstrap}`))!;
                assert.deepEqual(bootstrap.inputs.access, { kind: "kubernetes", namespace: c.namespace });
                assert.deepEqual(bootstrap.inputs.members.map((m: any) => m.address).sort(), memberPods.map(fqdn).sort());
                if (c.args.mode === "sentinel") {
                    assert.deepEqual(bootstrap.inputs.sentinels.map((s: any) => s.address), [0, 1, 2].map((i) => fqdn(`${c.name}-sentinel-${i}`)));
                }
                assert.ok(typeof bootstrap.inputs.generation === "string" && bootstrap.inputs.generation.length > 0);
            });
        });
    }

    describe("placement", () => {
        it("cluster with zones: each shard pinned to its planned zones, its members in distinct zones (required), masters spread by pod index", async () => {
            const b = await build("clus", CASES[0].args, trap);
            const planned = [["z1", "z2"], ["z2", "z3"], ["z3", "z1"]]; // spread: member i of shard s in zone (s + i) mod 3
            for (const [s, zones] of planned.entries()) {
                const spec = named(b, T.statefulSet, `clus-s${s}`).inputs.spec.template.spec;
                const term = spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0];
                assert.deepEqual(term, { key: ZONE_LABEL, operator: "In", values: zones }, `shard ${s} zones`);
                const [anti] = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
                assert.equal(anti.topologyKey, ZONE_LABEL);
                assert.equal(anti.labelSelector.matchLabels["redis-deployment/shard"], String(s));
                assert.ok(selects(anti.labelSelector.matchLabels, spec === undefined ? {} : named(b, T.statefulSet, `clus-s${s}`).inputs.spec.template.metadata.labels));
                const byIndex = spec.topologySpreadConstraints.find((t: any) => t.matchLabelKeys?.includes(POD_INDEX_LABEL));
                assert.ok(byIndex, "spread by pod index (masters are index 0)");
                assert.equal(byIndex.topologyKey, ZONE_LABEL);
                assert.equal(byIndex.whenUnsatisfiable, "DoNotSchedule");
            }
        });

        it("colocate-masters: the master pinned to the first zone, the replicas to the others", async () => {
            const b = await build("sent", CASES[1].args, trap);
            const zonesOf = (set: string) => named(b, T.statefulSet, set).inputs.spec.template.spec.affinity.nodeAffinity
                .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values;
            assert.deepEqual(zonesOf("sent-master"), ["z1"]);
            assert.deepEqual(zonesOf("sent-replica"), ["z2", "z3"]);
            assert.deepEqual(zonesOf("sent-sentinel"), ["z1", "z2", "z3"]);
            const master = named(b, T.statefulSet, "sent-master").inputs.spec.template;
            const anti = master.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
            const replicaLabels = named(b, T.statefulSet, "sent-replica").inputs.spec.template.metadata.labels;
            assert.ok(selects(anti.labelSelector.matchLabels, replicaLabels), "the master avoids its replicas' zones");
            assert.equal(anti.topologyKey, ZONE_LABEL);
            const members = (await value(b.deployment.members)).map((m) => `${m.name}:${m.zone}`);
            assert.deepEqual(members, ["sent-s0-m0:z1", "sent-s0-m1:z2", "sent-s0-m2:z3"]);
        });

        it("spread without zones: no node affinity, soft zone anti-affinity and spread, zone reported as any", async () => {
            const b = await build("repl", CASES[2].args, trap);
            for (const set of ofType(b, T.statefulSet)) {
                const spec = set.inputs.spec.template.spec;
                assert.equal(spec.affinity.nodeAffinity, undefined, `${set.name}: no zone pinning`);
                assert.equal(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined);
                const zoneTerm = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.find((t: any) => t.podAffinityTerm.topologyKey === ZONE_LABEL);
                assert.ok(zoneTerm, `${set.name}: prefers another zone than its shard's other members`);
                assert.ok(spec.topologySpreadConstraints.every((t: any) => t.whenUnsatisfiable === "ScheduleAnyway"));
            }
            assert.deepEqual([...new Set((await value(b.deployment.members)).map((m) => m.zone))], ["any"]);
        });
    });

    describe("HAProxy, load balancer and metrics", () => {
        it("HAProxy: a Deployment of proxy.count pods, its password from the Secret by secretKeyRef, servers by DNS name", async () => {
            const b = await build("sent", CASES[1].args, trap);
            const d = named(b, T.deployment, "sent-haproxy").inputs.spec;
            assert.equal(d.replicas, 2);
            const [container] = d.template.spec.containers;
            assert.deepEqual(container.env, [{ name: HAPROXY_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: "sent-auth", key: SECRET_KEYS.monitorPassword } } }]);
            assert.deepEqual(d.template.spec.securityContext, { runAsUser: 99, runAsGroup: 99, runAsNonRoot: true }, "a numeric non-root user");
            const cfg: string = named(b, T.configMap, "sent-haproxy-config").inputs.data["haproxy.cfg"];
            assert.ok(cfg.includes(`AUTH\\ ${MONITOR_USER}\\ "\${${HAPROXY_PASSWORD_ENV}}"\\r\\n`), "AUTH with the env variable");
            for (const pod of ["sent-master-0", "sent-replica-0", "sent-replica-1"]) {
                assert.ok(cfg.includes(` ${pod}.sent-headless.redis-prod.svc.cluster.local:6379`), `server ${pod} by DNS name`);
            }
            assert.match(cfg, /^resolvers cluster-dns$/m);
            assert.match(cfg, /default-server .* resolvers cluster-dns .*init-addr last,libc,none/);
            const svc = named(b, T.service, "sent-haproxy").inputs.spec;
            assert.ok(selects(svc.selector, d.template.metadata.labels));
            assert.deepEqual(svc.ports.map((p: any) => p.port), [6379, 6380]);
        });

        it("loadBalancer: a LoadBalancer Service over the proxies with the cloud's internal annotations, extra ones and source ranges", async () => {
            const b = await build("sent", CASES[1].args, trap);
            const lb = named(b, T.service, "sent-lb").inputs;
            assert.equal(lb.spec.type, "LoadBalancer");
            assert.deepEqual(lb.metadata.annotations, { ...INTERNAL_LB_ANNOTATIONS.aws, "example.com/team": "cache" });
            assert.deepEqual(lb.spec.loadBalancerSourceRanges, ["10.0.0.0/8"]);
            assert.ok(selects(lb.spec.selector, named(b, T.deployment, "sent-haproxy").inputs.spec.template.metadata.labels));
            assert.equal(b.outputs.endpoint, `${LB_IP}:6379`);

            const every = await build("lball", { provider: "kubernetes", mode: "replication", maxmemory: "256mb", loadBalancer: true }, trap);
            assert.deepEqual(named(every, T.service, "lball-lb").inputs.metadata.annotations,
                { ...INTERNAL_LB_ANNOTATIONS.aws, ...INTERNAL_LB_ANNOTATIONS.gcp, ...INTERNAL_LB_ANNOTATIONS.azure }, "internal on every cloud by default");
            const pub = await build("lbpub", { provider: "kubernetes", mode: "replication", maxmemory: "256mb", loadBalancer: true, kubernetes: { loadBalancer: { internal: false } } }, trap);
            assert.deepEqual(named(pub, T.service, "lbpub-lb").inputs.metadata.annotations, {}, "internal: false sets no annotation");
            const none = await build("nolb", { provider: "kubernetes", mode: "replication", maxmemory: "256mb" }, trap);
            assert.deepEqual(names(none, T.service).filter((n) => n.endsWith("-lb")), []);
        });

        it("metrics: a redis_exporter sidecar as rd-monitor, its password by secretKeyRef; none by default", async () => {
            const b = await build("clus", CASES[0].args, trap);
            for (const set of ofType(b, T.statefulSet)) {
                const t = set.inputs.spec.template;
                const exporter = t.spec.containers.find((x: any) => x.name === "metrics");
                assert.ok(exporter, `${set.name} has the sidecar`);
                assert.equal(exporter.image, "oliver006/redis_exporter:v1.62.0");
                const env = Object.fromEntries(exporter.env.map((e: any) => [e.name, e]));
                assert.deepEqual(env.REDIS_PASSWORD.valueFrom, { secretKeyRef: { name: "clus-auth", key: SECRET_KEYS.monitorPassword } });
                assert.equal(env.REDIS_USER.value, MONITOR_USER);
                assert.equal(env.REDIS_ADDR.value, "redis://$(POD_IP):6379");
                assert.equal(t.metadata.annotations["prometheus.io/port"], "9121");
            }
            const plain = await build("repl", CASES[2].args, trap);
            for (const set of ofType(plain, T.statefulSet)) assert.equal(set.inputs.spec.template.spec.containers.length, 1);
        });

        it("metrics: sidecars on sentinels too, HAProxy's read-only stats port (not on the load balancer), a ServiceMonitor when asked, metricsTargets", async () => {
            const args: RedisDeploymentArgs = { ...CASES[1].args, metrics: { serviceMonitor: true, haproxyStatsPort: 1937 } };
            const b = await build("sent", args, trap);
            const sentinels = named(b, T.statefulSet, "sent-sentinel").inputs.spec.template;
            const sidecar = sentinels.spec.containers.find((x: any) => x.name === "metrics");
            assert.ok(sidecar, "the sentinels have the exporter too");
            assert.equal(sidecar.env.find((e: any) => e.name === "REDIS_ADDR").value, "redis://$(POD_IP):26379");
            assert.deepEqual(sidecar.args, ["-web.listen-address=:9121"]);
            assert.deepEqual(sidecar.ports, [{ name: "metrics", containerPort: 9121 }]);
            for (const set of ofType(b, T.statefulSet)) {
                const main = set.inputs.spec.template.spec.containers[0];
                assert.ok(!main.ports.some((p: any) => p.name === "metrics"), `${set.name}: the exporter's port is the sidecar's, not Redis'`);
            }
            const haproxy = named(b, T.deployment, "sent-haproxy").inputs.spec.template.spec.containers[0];
            assert.deepEqual(haproxy.ports.map((p: any) => [p.name, p.containerPort]), [["redis", 6379], ["redis-read", 6380], ["stats", 1937]]);
            const cfg: string = named(b, T.configMap, "sent-haproxy-config").inputs.data["haproxy.cfg"];
            assert.match(cfg, /^frontend stats\n {4}mode http\n {4}bind 0\.0\.0\.0:1937$/m);
            assert.doesNotMatch(cfg, /stats admin/);
            assert.deepEqual(named(b, T.service, "sent-haproxy").inputs.spec.ports.map((p: any) => p.name), ["redis", "redis-read", "stats"]);
            assert.deepEqual(named(b, T.service, "sent-lb").inputs.spec.ports.map((p: any) => p.name), ["redis", "redis-read"], "the stats port never goes through the load balancer");
            const monitor = named(b, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "sent-metrics").inputs;
            assert.equal(monitor.metadata.namespace, "redis-prod");
            assert.deepEqual(monitor.spec.endpoints, [{ port: "metrics", path: "/metrics" }, { port: "stats", path: "/metrics" }]);
            assert.deepEqual(monitor.spec.selector.matchExpressions, [{ key: "app.kubernetes.io/component", operator: "In", values: ["redis", "haproxy"] }]);
            // The selected Services: the headless one (members, sentinels) and HAProxy's, not the sentinels' client Service (no double scrape).
            const selected = ofType(b, T.service).filter((svc) => svc.inputs.metadata.labels["app.kubernetes.io/instance"] === "sent"
                && ["redis", "haproxy"].includes(svc.inputs.metadata.labels["app.kubernetes.io/component"])).map((svc) => svc.name).sort();
            assert.deepEqual(selected, ["sent-haproxy", "sent-headless", "sent-lb"]);
            assert.deepEqual(b.outputs.metricsTargets, [
                "sent-master-0.sent-headless.redis-prod.svc.cluster.local:9121", "sent-replica-0.sent-headless.redis-prod.svc.cluster.local:9121",
                "sent-replica-1.sent-headless.redis-prod.svc.cluster.local:9121", "sent-sentinel-0.sent-headless.redis-prod.svc.cluster.local:9121",
                "sent-sentinel-1.sent-headless.redis-prod.svc.cluster.local:9121", "sent-sentinel-2.sent-headless.redis-prod.svc.cluster.local:9121",
                "sent-haproxy.redis-prod.svc.cluster.local:1937",
            ]);
            const without = await build("sent", CASES[1].args, trap);
            assert.deepEqual(ofType(without, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"), []);
        });

        it("metrics with TLS: the sidecar dials its pod's DNS name (the name its certificate carries) over rediss://, with the pod's own certificate from the tls volume, read-only", async () => {
            const tlsPlan = plan(validateArgs("sent", { ...CASES[1].args, metrics: {}, tls: { enabled: true, clientAuth: "required" } }));
            const layout = kubernetesLayout(tlsPlan, "redis-prod", "cluster.local", false);
            const shared = { options: { images: { exporter: "oliver006/redis_exporter:v1.62.0" } }, secret: { metadata: { name: "sent-auth" } }, layout } as unknown as Shared;
            for (const port of [6379, 26379]) {
                const c = exporterContainer(shared, tlsPlan, port) as any;
                const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
                assert.deepEqual(env.POD_NAME, { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
                const names = c.env.map((e: any) => e.name);
                assert.ok(names.indexOf("POD_NAME") < names.indexOf("REDIS_ADDR"), "defined before the value that expands it");
                assert.equal(env.REDIS_ADDR.value, `rediss://$(POD_NAME).sent-headless.redis-prod.svc.cluster.local:${port}`);
                // The same DNS name the pods' certificates are issued for (a pod's address in the layout).
                assert.equal(env.REDIS_ADDR.value.replace("$(POD_NAME)", layout.sentinels[0].pod), `rediss://${layout.sentinels[0].address}:${port}`);
                assert.deepEqual(env.REDIS_PASSWORD.valueFrom, { secretKeyRef: { name: "sent-auth", key: SECRET_KEYS.monitorPassword } });
                const dir = `${PATHS.tls}/$(POD_NAME)`;
                assert.equal(podTlsDir("$(POD_NAME)"), dir);
                assert.deepEqual(c.args, ["-web.listen-address=:9121",
                    "-tls-ca-cert-file", `${dir}/ca.crt`, "-tls-client-cert-file", `${dir}/node.crt`, "-tls-client-key-file", `${dir}/node.key`]);
                assert.ok(!(c.args as string[]).some((a) => a.includes("skip-tls")), "it verifies the node's certificate");
                assert.deepEqual(c.volumeMounts, [{ name: TLS_VOLUME, mountPath: PATHS.tls, readOnly: true }]);
            }
            // Without TLS the sidecar is what it was: the pod IP, plain, no volume.
            const b = await build("sent", { ...CASES[1].args, metrics: {} }, trap);
            const sidecar = named(b, T.statefulSet, "sent-sentinel").inputs.spec.template.spec.containers.find((x: any) => x.name === "metrics");
            assert.deepEqual(sidecar.env.map((e: any) => e.name), ["POD_IP", "REDIS_ADDR", "REDIS_USER", "REDIS_PASSWORD"]);
            assert.equal(sidecar.volumeMounts, undefined);
        });

        it("kernel tuning: somaxconn as a pod sysctl and a privileged node-tuning init container, each only when asked", async () => {
            const plain = await build("repl", CASES[2].args, trap);
            for (const set of ofType(plain, T.statefulSet)) {
                const spec = set.inputs.spec.template.spec;
                assert.equal(spec.securityContext.sysctls, undefined, `${set.name}: no sysctl by default (the kubelet may forbid it)`);
                assert.equal(spec.initContainers, undefined, `${set.name}: nothing privileged by default`);
            }
            const tuned = await build("tuned", { provider: "kubernetes", mode: "sentinel", maxmemory: "256mb", kubernetes: { somaxconn: 1024, tuneNodes: true } }, trap);
            for (const set of ofType(tuned, T.statefulSet)) {
                const spec = set.inputs.spec.template.spec;
                if (set.name === "tuned-sentinel") {
                    assert.equal(spec.initContainers, undefined, "sentinels do not fork: no node tuning");
                    continue;
                }
                assert.deepEqual(spec.securityContext.sysctls, [{ name: "net.core.somaxconn", value: "1024" }]);
                assert.equal(spec.securityContext.runAsNonRoot, true, "Redis itself still runs as non-root");
                const [init] = spec.initContainers;
                assert.equal(init.name, "tune-node");
                assert.deepEqual(init.securityContext, { privileged: true, runAsUser: 0, runAsNonRoot: false, readOnlyRootFilesystem: true });
                assert.equal(init.command[2], NODE_TUNING_SCRIPT);
                for (const c of spec.containers) assert.notEqual(c.securityContext?.privileged, true, `${c.name} is not privileged`);
            }
            const syntax = spawnSync("sh", ["-n"], { input: NODE_TUNING_SCRIPT, encoding: "utf8" });
            assert.equal(syntax.status, 0, syntax.stderr);
            assert.match(NODE_TUNING_SCRIPT, /echo never > \/sys\/kernel\/mm\/transparent_hugepage\/\$f/);
            assert.match(NODE_TUNING_SCRIPT, /echo 1 > \/proc\/sys\/vm\/overcommit_memory/);
            assert.throws(() => validateKubernetesArgs(validateArgs("k", { provider: "kubernetes", maxmemory: "256mb" }), { somaxconn: 128, tuneNodes: "yes" as never }, false),
                (err: Error) => /kubernetes\.somaxconn: must be between 512 and 65535, got 128/.test(err.message) && /kubernetes\.tuneNodes: must be true or false/.test(err.message));
        });

        it("kubeconfig/context: a provider of its own for the objects, and the bootstrap reads the same file and context", async () => {
            const b = await build("kc", { provider: "kubernetes", mode: "replication", maxmemory: "256mb", kubernetes: { kubeconfig: "/home/ops/.kube/prod", context: "prod" } }, trap);
            const [provider] = ofType(b, T.provider);
            assert.equal(provider.name, "kc-k8s");
            assert.equal(provider.inputs.kubeconfig, "/home/ops/.kube/prod");
            assert.equal(provider.inputs.context, "prod");
            for (const r of b.seen.filter((x) => x.type.startsWith("kubernetes:"))) {
                assert.ok(r.provider?.includes("pulumi:providers:kubernetes::kc-k8s"), `${r.type} ${r.name} uses it (${r.provider})`);
            }
            const bootstrap = b.seen.find((r) => r.type.endsWith(":ReplicationBootstrap"))!;
            assert.deepEqual(bootstrap.inputs.access, { kind: "kubernetes", namespace: "kc", kubeconfig: "/home/ops/.kube/prod", context: "prod" });
        });
    });

    describe("packaging", () => {
        it("the bootstrap's dynamic provider carries the port-forward code and requires client-node at run time only", async () => {
            const b = await build("ser", { provider: "kubernetes", mode: "replication", maxmemory: "256mb" }, trap);
            const serialized = String(b.seen.find((r) => r.type.endsWith(":ReplicationBootstrap"))!.inputs.__provider);
            assert.ok(serialized.includes("kubernetesRoute") && serialized.includes("PortForward"), "the access path is serialized with the provider");
            assert.match(serialized, /require\("@kubernetes\/client-node"\)/);
        });

        it("a local deployment loads neither @pulumi/kubernetes nor @kubernetes/client-node; a Kubernetes one loads only @pulumi/kubernetes", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-k8s-lazy-"));
            try {
                const program = `
                    const pulumi = require("@pulumi/pulumi");
                    pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "p", "s", false).then(() => {
                        const { RedisDeployment } = require("./components/redisDeployment");
                        const loaded = (m) => Object.keys(require.cache).some((k) => k.includes("node_modules/" + m + "/"));
                        new RedisDeployment("lazy", { mode: "standalone", local: { dataDir: ${JSON.stringify(dir)}, addressPrefix: "127.62" } });
                        const local = { pulumiK8s: loaded("@pulumi/kubernetes"), clientNode: loaded("@kubernetes/client-node") };
                        new RedisDeployment("lazyk", { provider: "kubernetes", mode: "replication", maxmemory: "256mb" });
                        const k8s = { pulumiK8s: loaded("@pulumi/kubernetes"), clientNode: loaded("@kubernetes/client-node") };
                        console.log("RESULT " + JSON.stringify({ local, k8s }));
                        process.exit(0);
                    });`;
                assert.deepEqual(programResult(program), {
                    local: { pulumiK8s: false, clientNode: false },
                    k8s: { pulumiK8s: true, clientNode: false },
                });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("scripts", () => {
        it("start-redis.sh carries the empty-master guard only with persistence off", async () => {
            const script = async (args: RedisDeploymentArgs) => {
                const b = await build("scr", { provider: "kubernetes", maxmemory: "256mb", ...args }, trap);
                return named(b, T.configMap, "scr-scripts").inputs.data["start-redis.sh"] as string;
            };
            const guard = "Persistence is off: never start empty as a master";
            assert.ok(!(await script({ mode: "replication" })).includes(guard));
            assert.ok(!(await script({ mode: "replication", persistence: { aof: false } })).includes(guard), "RDB alone still restores the data");
            const off = await script({ mode: "replication", replicasPerShard: 2, persistence: { aof: false, rdb: false } });
            assert.ok(off.includes(guard));
            assert.ok(off.includes(`peers="scr-master-0.scr-headless.scr.svc.cluster.local:6379 scr-replica-0.scr-headless.scr.svc.cluster.local:6379 scr-replica-1.scr-headless.scr.svc.cluster.local:6379"`));
            assert.ok((await script({ mode: "cluster", persistence: { aof: false, rdb: false } })).includes("still sees this node as the master of its slots"));
            assert.ok(!(await script({ mode: "standalone", persistence: { aof: false, rdb: false } })).includes(guard), "nobody to protect");
        });
    });

    describe("rollouts", () => {
        it("a changed config changes the pod template (checksum annotation), so the StatefulSet rolls its pods; an unchanged one does not", async () => {
            const checksums = async (maxmemory: string) => {
                const b = await build("roll", { provider: "kubernetes", mode: "replication", maxmemory }, trap);
                return Object.fromEntries(ofType(b, T.statefulSet).map((s) => [s.name, s.inputs.spec.template.metadata.annotations["redis-deployment/config-checksum"]]));
            };
            const first = await checksums("256mb");
            assert.deepEqual(await checksums("256mb"), first, "same arguments, same pod templates");
            const changed = await checksums("512mb");
            for (const set of Object.keys(first)) assert.notEqual(changed[set], first[set], `${set} rolls on a maxmemory change`);
        });

        it("a rotation of the internal passwords rolls the HAProxy pods (they read the check password at start); the member pods stay", async () => {
            const templates = async (rotateInternal?: number) => {
                const b = await build("rot", { provider: "kubernetes", mode: "sentinel", maxmemory: "256mb", auth: rotateInternal === undefined ? undefined : { rotateInternal } }, trap);
                return {
                    proxies: JSON.stringify(ofType(b, T.deployment)[0].inputs.spec.template.metadata),
                    members: JSON.stringify(ofType(b, T.statefulSet).map((s) => s.inputs.spec.template.metadata)),
                };
            };
            const idle = await templates();
            const first = await templates(1);
            assert.notEqual(first.proxies, idle.proxies, "raising the counter changes the HAProxy pod template");
            assert.notEqual((await templates(2)).proxies, first.proxies, "and again on the next rotation");
            assert.equal((await templates(1)).proxies, first.proxies, "no change, no rollout");
            assert.equal(first.members, idle.members, "members take the new passwords live");
        });
    });

    describe("examples/kubernetes", () => {
        it("builds: a sentinel deployment and a cluster deployment, each in its own namespace", async () => {
            const seen: Seen[] = [];
            await installMocks(seen);
            trap.start();
            try {
                const example = require("../../examples/kubernetes") as Record<string, pulumi.Output<unknown>>;
                assert.equal(await value(example.sessionsEndpoint), "sessions-haproxy.sessions.svc.cluster.local:6379");
                assert.equal(await value(example.sessionsMasterName), "sessions");
                assert.deepEqual(await value(example.cacheNodes), ["s0-0", "s0-1", "s1-0", "s1-1", "s2-0", "s2-1"]
                    .map((p) => `cache-${p}.cache-headless.cache.svc.cluster.local:6379`));
                assert.equal(await pulumi.isSecret(example.sessionsUrl), true);
                await settle();
            } finally {
                trap.stop();
            }
            assert.deepEqual(seen.filter((r) => r.type === COMPONENT).map((r) => r.name).sort(), ["cache", "sessions"]);
            assert.deepEqual(seen.filter((r) => r.type === T.namespace).map((r) => r.inputs.metadata.name).sort(), ["cache", "sessions"]);
            assert.deepEqual(seen.filter((r) => r.type === T.statefulSet).map((r) => r.name).sort(),
                ["cache-s0", "cache-s1", "cache-s2", "sessions-master", "sessions-replica", "sessions-sentinel"]);
            assert.deepEqual(trap.errors.map(String), []);
        });
    });

    describe("validation of the kubernetes arguments", () => {
        const base: RedisDeploymentArgs = { provider: "kubernetes", mode: "replication", maxmemory: "1gb" };
        const bad: { title: string; args: RedisDeploymentArgs; mentions: string[] }[] = [
            { title: "an invalid storage class", args: { ...base, kubernetes: { storageClass: "Fast_SSD" } }, mentions: ["kubernetes.storageClass", "Fast_SSD"] },
            { title: "a volume smaller than 2 x maxmemory", args: { ...base, kubernetes: { storageSize: "1Gi" } }, mentions: ["kubernetes.storageSize", "2 x maxmemory"] },
            { title: "a malformed size", args: { ...base, kubernetes: { storageSize: "20 GB" } }, mentions: ["kubernetes.storageSize", "quantity"] },
            { title: "a misspelt field", args: { ...base, kubernetes: { storageClas: "gp3" } as never }, mentions: ["kubernetes.storageClas", `did you mean "storageClass"`] },
            { title: "an invalid namespace", args: { ...base, kubernetes: { namespace: "Redis_Prod" } }, mentions: ["kubernetes.namespace"] },
            { title: "memory at maxmemory", args: { ...base, kubernetes: { memory: "1Gi" } }, mentions: ["kubernetes.memory", "OOM"] },
            { title: "an unknown cloud", args: { ...base, loadBalancer: true, kubernetes: { loadBalancer: { cloud: "ibm" as never } } }, mentions: ["kubernetes.loadBalancer.cloud"] },
            { title: "load balancer options without a load balancer", args: { ...base, kubernetes: { loadBalancer: { internal: true } } }, mentions: ["kubernetes.loadBalancer", "loadBalancer: true"] },
            { title: "a bad source range", args: { ...base, loadBalancer: true, kubernetes: { loadBalancer: { sourceRanges: ["everyone"] } } }, mentions: ["kubernetes.loadBalancer.sourceRanges[0]"] },
            { title: "colocate-masters in cluster mode", args: { ...base, mode: "cluster", placement: "colocate-masters" }, mentions: ["placement", "colocate-masters"] },
            { title: "sentinel storage outside sentinel mode", args: { ...base, kubernetes: { sentinelStorageSize: "1Gi" } }, mentions: ["kubernetes.sentinelStorageSize"] },
        ];
        for (const c of bad) {
            it(`rejects ${c.title} with a RunError naming the field, before any child resource`, async () => {
                const seen: Seen[] = [];
                await installMocks(seen);
                let error: unknown;
                try {
                    new RedisDeployment("bad", c.args);
                } catch (err) {
                    error = err;
                }
                assert.ok(pulumi.RunError.isInstance(error), `a RunError, got ${String(error)}`);
                for (const m of c.mentions) assert.ok((error as Error).message.includes(m), `message mentions ${m}: ${(error as Error).message}`);
                await settle();
                assert.deepEqual(seen.filter((r) => r.type !== COMPONENT).map((r) => `${r.type}::${r.name}`), []);
            });
        }

        it("lists every problem in one error", async () => {
            await installMocks([]);
            assert.throws(() => new RedisDeployment("bad", { ...base, kubernetes: { storageClass: "A B", cpu: "lots", clusterDomain: "-x" } }),
                (err: Error) => ["kubernetes.storageClass", "kubernetes.cpu", "kubernetes.clusterDomain"].every((f) => err.message.includes(f)));
        });

        it("requires maxmemory on Kubernetes (it sizes the pods and volumes)", async () => {
            await installMocks([]);
            assert.throws(() => new RedisDeployment("bad", { provider: "kubernetes" }), (err: Error) => pulumi.RunError.isInstance(err) && err.message.includes("maxmemory"));
        });
    });
});

describe("RedisDeployment on Kubernetes: backups (Pulumi mocks)", function () {
    this.timeout(60000);
    const trap = new RejectionTrap();
    let b: Built;
    before(async () => {
        b = await build("bk", {
            provider: "kubernetes", mode: "cluster", shards: 3, replicasPerShard: 1, maxmemory: "1gb", auth: { password: GIVEN_PASSWORD },
            backup: { target: "s3://team-backups/redis", schedule: "15 2 * * *", kubernetes: { secretName: "backup-s3-keys" } },
        }, trap);
    });

    it("runs one CronJob per deployment on the schedule, in UTC, reaching every shard by DNS name", () => {
        const jobs = ofType(b, "kubernetes:batch/v1:CronJob");
        assert.deepEqual(jobs.map((j) => j.name), ["bk-backup"]);
        const spec = jobs[0].inputs.spec;
        assert.equal(spec.schedule, "15 2 * * *");
        assert.equal(spec.timeZone, "Etc/UTC");
        assert.equal(spec.concurrencyPolicy, "Forbid");
        const pod = spec.jobTemplate.spec.template.spec;
        const env = Object.fromEntries((unwrap(pod.containers[0].env) as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        assert.equal(env.RD_SHARDS.split(" ").length, 3);
        assert.match(env.RD_SHARDS, /^0=bk-s0-0\.bk-headless\./);
        assert.equal(env.RD_REMOTE, ":s3:team-backups/redis");
        assert.deepEqual(pod.containers[0].envFrom, [{ secretRef: { name: "backup-s3-keys" } }], "the store's credentials come from the Secret the user named");
        assert.equal(pod.volumes.find((v: { name: string }) => v.name === "admin-password").secret.secretName, "bk-auth");
    });

    it("puts no credential in the CronJob's or any non-secret input", () => {
        const plain = JSON.stringify(b.seen.map((r) => redactSecrets(r.inputs)));
        for (const s of [GIVEN_PASSWORD, MOCK_GENERATED.adminPassword, MOCK_GENERATED.monitorPassword]) assert.ok(!plain.includes(s), `a password appears in a non-secret input: ${s}`);
    });

    it("refuses a backup target without a Secret or service account to reach it, at preview", () => {
        assert.throws(() => validateArgs("bk", { provider: "kubernetes", backup: { target: "s3://team-backups/redis" } }), /backup\.kubernetes: name the Secret \(secretName\) or the service account/);
    });

    it("without TLS the job's pod mounts no certificate and its variables name none", () => {
        const pod = ofType(b, "kubernetes:batch/v1:CronJob")[0].inputs.spec.jobTemplate.spec.template.spec;
        assert.deepEqual(pod.volumes.map((v: { name: string }) => v.name), ["script", "tools", "admin-password"]);
        assert.ok(!(unwrap(pod.containers[0].env) as { name: string }[]).some((e) => e.name.startsWith("RD_TLS_")));
    });
});

describe("RedisDeployment on Kubernetes: backups with TLS (Pulumi mocks)", function () {
    this.timeout(60000);
    const trap = new RejectionTrap();
    let b: Built;
    before(async () => {
        b = await build("bt", {
            provider: "kubernetes", mode: "replication", replicasPerShard: 1, maxmemory: "1gb", auth: { password: GIVEN_PASSWORD },
            tls: { enabled: true, clientAuth: "required" },
            backup: { target: "s3://team-backups/redis", kubernetes: { secretName: "backup-s3-keys" } },
        }, trap);
    });

    it("the CronJob's pod mounts the deployment's client certificate Secret and the CA, and the job's variables name those files", () => {
        const pod = ofType(b, "kubernetes:batch/v1:CronJob")[0].inputs.spec.jobTemplate.spec.template.spec;
        const dir = `${PATHS.tls}/bt-client`;
        const env = Object.fromEntries((unwrap(pod.containers[0].env) as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        assert.deepEqual([env.RD_TLS_CA, env.RD_TLS_CERT, env.RD_TLS_KEY], [`${dir}/ca.crt`, `${dir}/node.crt`, `${dir}/node.key`]);
        const volume = pod.volumes.find((v: { name: string }) => v.name === "tls");
        const sources = volume.projected.sources as { secret?: { name: string; items: { key: string; path: string }[] }; configMap?: { name: string; items: { key: string; path: string }[] } }[];
        assert.deepEqual(sources.find((x) => x.secret)!.secret, { name: "bt-client-tls", items: [{ key: "tls.crt", path: "bt-client/node.crt" }, { key: "tls.key", path: "bt-client/node.key" }] });
        assert.deepEqual(sources.find((x) => x.configMap)!.configMap, { name: "bt-tls-ca", items: [{ key: "ca.crt", path: "bt-client/ca.crt" }] });
        assert.deepEqual(pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === "tls"), { name: "tls", mountPath: PATHS.tls, readOnly: true });
        assert.ok(ofType(b, "kubernetes:core/v1:Secret").some((x) => x.name === "bt-client-tls"), "the Secret it mounts is the deployment's");
    });
});
