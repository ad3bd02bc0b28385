// TLS on the Kubernetes provider under Pulumi mocks: what the certificates name, where the keys
// go (only Secrets: each pod's kubernetes.io/tls Secret, never a ConfigMap or a pod spec), how
// the pods mount them and what the configs point at; and tls.certManagerIssuer, where
// cert-manager Certificates take the place of the Secrets and no key passes through Pulumi.
// The rendered scripts and configs are run by the real programs in kubernetes-configs.test.ts.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "../../components/args";
import { RedisDeployment } from "../../components/redisDeployment";
import { RedisDeploymentArgumentError } from "../../components/fieldChecks";
import { validateArgs } from "../../components/validate";
import { PATHS } from "../../providers/kubernetes/layout";
import { issueCa } from "../../bootstrap/certificates";
import { plan } from "../../components/plan";
import { kubernetesLayout, probeScript, startRedisScript, startSentinelScript } from "../../providers/kubernetes/config";
import { haproxyTlsCommand } from "../../providers/kubernetes/proxies";
import { assertShScriptLints } from "../helpers/shellLint";
import { MOCK_TLS, MockRecorder, RejectionTrap, isWrappedSecret, redactSecrets, settle, unwrap, value, type SeenResource } from "../helpers/mocks";

const NS = "cache";
/** The issuer's CA certificate a user gives as tls.ca (public; cert-manager holds its key). */
const ISSUER_CA = issueCa("corp-ca", 30).certificate;
const fqdn = (name: string, pod: string) => `${pod}.${name}-headless.${NS}.svc.cluster.local`;

async function build(rec: MockRecorder, trap: RejectionTrap, name: string, args: RedisDeploymentArgs): Promise<RedisDeployment> {
    await rec.install("proj", "stack");
    trap.start();
    try {
        const redis = new RedisDeployment(name, { provider: "kubernetes", maxmemory: "1gb", kubernetes: { namespace: NS }, ...args });
        await value(redis.endpoint);
        await settle();
        assert.deepEqual(trap.errors.map(String), [], "no unhandled rejections while the component was built");
        return redis;
    } finally {
        trap.stop();
    }
}

const byName = (rs: SeenResource[]) => Object.fromEntries(rs.map((r) => [r.name, r]));

describe("RedisDeployment on Kubernetes with TLS (Pulumi mocks)", function () {
    this.timeout(60000);
    const trap = new RejectionTrap();

    describe("certificates issued by the deployment (sentinel 1+1, 3 sentinels, HAProxy, clientAuth required)", () => {
        const rec = new MockRecorder();
        const name = "sec";
        const memberPods = [`${name}-master-0`, `${name}-replica-0`];
        const sentinelPods = [0, 1, 2].map((i) => `${name}-sentinel-${i}`);
        let redis: RedisDeployment;
        before(async () => {
            redis = await build(rec, trap, name, { mode: "sentinel", replicasPerShard: 1, tls: { enabled: true, clientAuth: "required" }, metrics: { enabled: true } });
        });

        it("each member and sentinel certificate names its pod's stable DNS name; the proxies' names are HAProxy's Service", () => {
            const nodes = unwrap(rec.one(":TlsCertificates").inputs.nodes) as { name: string; names: string[] }[];
            const names = Object.fromEntries(nodes.map((n) => [n.name, n.names]));
            assert.deepEqual(names[`${name}-s0-m0`], [fqdn(name, memberPods[0]), fqdn(name, memberPods[0]).replace(/\.cluster\.local$/, "")]);
            assert.deepEqual(names[`${name}-s0-m1`], [fqdn(name, memberPods[1]), fqdn(name, memberPods[1]).replace(/\.cluster\.local$/, "")]);
            assert.deepEqual(names[`${name}-sentinel2`][0], fqdn(name, sentinelPods[2]));
            assert.deepEqual(names[`${name}-proxy0`], [`${name}-haproxy.${NS}.svc.cluster.local`, `${name}-haproxy.${NS}.svc`, `${name}-haproxy.${NS}`, `${name}-haproxy`]);
            assert.deepEqual(names[`${name}-proxy1`], names[`${name}-proxy0`]);
        });

        it("one kubernetes.io/tls Secret per pod, for HAProxy and for the deployment's client, with that certificate and key, as secret data", () => {
            const secrets = byName(rec.ofType("kubernetes:core/v1:Secret").filter((s) => s.name.endsWith("-tls")));
            const holders: Record<string, string> = {
                [memberPods[0]]: `${name}-s0-m0`, [memberPods[1]]: `${name}-s0-m1`,
                ...Object.fromEntries(sentinelPods.map((p, i) => [p, `${name}-sentinel${i}`])),
                [`${name}-haproxy`]: `${name}-proxy0`, [`${name}-client`]: "client",
            };
            assert.deepEqual(Object.keys(secrets).sort(), Object.keys(holders).map((p) => `${p}-tls`).sort());
            for (const [pod, node] of Object.entries(holders)) {
                const secret = secrets[`${pod}-tls`];
                assert.equal(secret.inputs.type, "kubernetes.io/tls");
                assert.ok(isWrappedSecret(secret.inputs.stringData), `${pod}: stringData is secret`);
                assert.deepEqual(unwrap(secret.inputs.stringData), {
                    "tls.crt": `${MOCK_TLS.certificate} ${node}`, "tls.key": `${MOCK_TLS.key} ${node}`, "ca.crt": MOCK_TLS.ca,
                });
            }
            assert.equal(unwrap(rec.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === `${name}-tls-ca`)?.inputs.data)["ca.crt"], MOCK_TLS.ca);
        });

        it("no private key in any input outside those secrets (ConfigMaps, pod specs, the bootstrap's state)", () => {
            const open = JSON.stringify(rec.seen.map((r) => redactSecrets(r.inputs)));
            assert.ok(!open.includes(MOCK_TLS.key), "no node or client key");
            assert.ok(!open.includes(MOCK_TLS.caKey), "no CA key");
        });

        it("members and sentinels listen on TLS only, with their own pod's files; the pods mount exactly their certificates", () => {
            const configs = byName(rec.ofType("kubernetes:core/v1:ConfigMap"));
            const memberConf = unwrap(configs[`${name}-master-config`].inputs.data)[`${memberPods[0]}.conf`] as string;
            for (const line of ["port 0", "tls-port 6379", "tls-replication yes", "tls-auth-clients yes", `tls-cert-file @@TLS_DIR@@/${memberPods[0]}/node.crt`, `tls-key-file @@TLS_DIR@@/${memberPods[0]}/node.key`]) {
                assert.ok(memberConf.split("\n").includes(line), `redis.conf: ${line}`);
            }
            const sentinelConf = unwrap(configs[`${name}-sentinel-config`].inputs.data)[`${sentinelPods[1]}.conf`] as string;
            assert.ok(sentinelConf.split("\n").includes(`tls-cert-file @@TLS_DIR@@/${sentinelPods[1]}/node.crt`));
            assert.ok(sentinelConf.split("\n").includes("port 0"));

            const sets = byName(rec.ofType("kubernetes:apps/v1:StatefulSet"));
            const expect: Record<string, string[]> = { [`${name}-master`]: [memberPods[0]], [`${name}-replica`]: [memberPods[1]], [`${name}-sentinel`]: sentinelPods };
            for (const [set, pods] of Object.entries(expect)) {
                const spec = unwrap(sets[set].inputs.spec).template.spec;
                const volume = spec.volumes.find((v: any) => v.name === "tls");
                assert.deepEqual(volume.projected.sources[0].configMap, { name: `${name}-tls-ca`, items: pods.map((p) => ({ key: "ca.crt", path: `${p}/ca.crt` })) });
                assert.deepEqual(volume.projected.sources.slice(1).map((s: any) => s.secret.name), pods.map((p) => `${p}-tls`));
                assert.equal(volume.projected.defaultMode, 0o440);
                const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === "tls");
                assert.deepEqual(mount, { name: "tls", mountPath: PATHS.tls, readOnly: true });
            }
        });

        it("the exporter sidecars dial their pod's DNS name over TLS with the pod's own certificate files", () => {
            for (const set of rec.ofType("kubernetes:apps/v1:StatefulSet")) {
                const sidecar = unwrap(set.inputs.spec).template.spec.containers.find((c: any) => c.name === "metrics");
                const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
                assert.match(env.REDIS_ADDR, new RegExp(`^rediss://\\$\\(POD_NAME\\)\\.${name}-headless\\.${NS}\\.svc\\.cluster\\.local:(6379|26379)$`));
                assert.deepEqual(env.POD_NAME, { fieldRef: { fieldPath: "metadata.name" } });
                const args = (sidecar.args as string[]).join(" ");
                for (const [flag, file] of [["ca-cert", "ca.crt"], ["client-cert", "node.crt"], ["client-key", "node.key"]]) {
                    assert.ok(args.includes(`-tls-${flag}-file ${PATHS.tls}/$(POD_NAME)/${file}`), args);
                }
                assert.ok(!sidecar.args.some((a: string) => a.includes("skip-tls")));
                assert.deepEqual(sidecar.volumeMounts, [{ name: "tls", mountPath: PATHS.tls, readOnly: true }]);
            }
        });

        it("HAProxy terminates TLS with its Service's certificate (node.pem + node.pem.key) and reloads on a renewed one", () => {
            const deployment = rec.one("kubernetes:apps/v1:Deployment");
            const spec = unwrap(deployment.inputs.spec).template.spec;
            assert.equal(spec.securityContext.fsGroup, 99, "HAProxy's user reads its key (mode 0440) through fsGroup");
            const volume = spec.volumes.find((v: any) => v.name === "tls");
            assert.deepEqual(volume.projected.sources[1].secret, {
                name: `${name}-haproxy-tls`,
                items: [{ key: "tls.crt", path: `${name}-haproxy/node.pem` }, { key: "tls.key", path: `${name}-haproxy/node.pem.key` }],
            });
            const command = spec.containers[0].command as string[];
            assert.deepEqual(command.slice(0, 2), ["sh", "-c"]);
            assert.match(command[2], /kill -USR2 \$\$/);
            assert.match(command[2], /exec haproxy -W -db -f \/usr\/local\/etc\/haproxy\/haproxy\.cfg$/);
            const cfg = unwrap(rec.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === `${name}-haproxy-config`)!.inputs.data)["haproxy.cfg"] as string;
            assert.match(cfg, new RegExp(`ssl crt ${PATHS.tls}/${name}-haproxy/node\\.pem ca-file \\S+ verify required`));
            assert.match(cfg, /server \S+ \S+ ssl verify required ca-file \S+ crt \S+ check-ssl/);
        });

        it("probes and the bootstrap speak TLS: probe.sh with the pod's certificate, the bootstrap with the CA and the client certificate", () => {
            const scripts = unwrap(rec.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === `${name}-scripts`)!.inputs.data);
            assert.match(scripts["probe.sh"], /--tls --cacert "\$tls_dir\/ca\.crt" --cert "\$tls_dir\/node\.crt" --key "\$tls_dir\/node\.key"/);
            assert.match(scripts["start-redis.sh"], /CONFIG SET tls-cert-file/);
            assert.match(scripts["start-sentinel.sh"], /kill -TERM \$\$/);
            const bootstrap = rec.one(":SentinelBootstrap");
            assert.ok(isWrappedSecret(bootstrap.inputs.access));
            assert.deepEqual(unwrap(bootstrap.inputs.access).tls, { ca: MOCK_TLS.ca, certificate: `${MOCK_TLS.certificate} client`, key: `${MOCK_TLS.key} client` });
            assert.equal(unwrap(bootstrap.inputs.access).kind, "kubernetes");
        });

        it("outputs: caCertificate, rediss:// (secret)", async () => {
            assert.equal(await value(redis.caCertificate), MOCK_TLS.ca);
            assert.match(await value(redis.connectionUrl), new RegExp(`^rediss://default:[^@]+@${name}-haproxy\\.${NS}\\.svc\\.cluster\\.local:6379$`));
            assert.equal(await pulumi.isSecret(redis.connectionUrl), true);
        });
    });

    describe("tls.certManagerIssuer (cluster 3x1)", () => {
        const rec = new MockRecorder();
        const name = "cm";
        let redis: RedisDeployment;
        before(async () => {
            redis = await build(rec, trap, name, {
                mode: "cluster", shards: 3, replicasPerShard: 1,
                tls: { enabled: true, clientAuth: "optional", ca: ISSUER_CA, certManagerIssuer: { name: "corp-ca", kind: "ClusterIssuer" }, validityDays: 90, renewBeforeDays: 20 },
            });
        });

        it("a cert-manager Certificate per pod (its DNS names, server and client use) and one for the client; no keys, no TlsCertificates", () => {
            const certificates = rec.seen.filter((r) => r.type === "kubernetes:cert-manager.io/v1:Certificate");
            const pods = [0, 1, 2].flatMap((s) => [`${name}-s${s}-0`, `${name}-s${s}-1`]);
            assert.deepEqual(certificates.map((c) => c.name).sort(), [...pods, `${name}-client`].map((p) => `${p}-tls`).sort());
            for (const pod of pods) {
                const spec = unwrap(certificates.find((c) => c.name === `${pod}-tls`)!.inputs.spec);
                assert.equal(spec.secretName, `${pod}-tls`);
                assert.deepEqual(spec.dnsNames, [fqdn(name, pod), fqdn(name, pod).replace(/\.cluster\.local$/, "")]);
                assert.deepEqual(spec.issuerRef, { name: "corp-ca", kind: "ClusterIssuer", group: "cert-manager.io" });
                assert.deepEqual(spec.usages.slice(-2), ["server auth", "client auth"]);
                assert.equal(spec.duration, `${90 * 24}h`);
                assert.equal(spec.renewBefore, `${20 * 24}h`);
            }
            assert.deepEqual(unwrap(certificates.find((c) => c.name === `${name}-client-tls`)!.inputs.spec).usages, ["digital signature", "key encipherment", "client auth"]);
            assert.deepEqual(rec.ofType(":TlsCertificates"), []);
            assert.deepEqual(rec.ofType("kubernetes:core/v1:Secret").map((s) => s.name), [`${name}-auth`], "the only Secret of our own holds the passwords");
        });

        it("the pods mount the Secrets cert-manager writes, the CA is tls.ca, and the bootstrap trusts it", async () => {
            const set = rec.ofType("kubernetes:apps/v1:StatefulSet").find((s) => s.name === `${name}-s1`)!;
            const volume = unwrap(set.inputs.spec).template.spec.volumes.find((v: any) => v.name === "tls");
            assert.deepEqual(volume.projected.sources.slice(1).map((s: any) => s.secret.name), [`${name}-s1-0-tls`, `${name}-s1-1-tls`]);
            assert.equal(unwrap(rec.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.name === `${name}-tls-ca`)!.inputs.data)["ca.crt"], ISSUER_CA);
            assert.equal(await value(redis.caCertificate), ISSUER_CA);
            assert.deepEqual(unwrap(rec.one(":ClusterBootstrap").inputs.access).tls, { ca: ISSUER_CA });
        });
    });

    it("the containers' scripts, with TLS and without (the watcher, the probe's TLS flags), pass sh -n and shellcheck", () => {
        for (const enabled of [false, true]) {
            const p = plan(validateArgs("lint", { provider: "kubernetes", maxmemory: "64mb", mode: "sentinel", tls: { enabled } }));
            const layout = kubernetesLayout(p, NS, "cluster.local", false);
            assertShScriptLints(startRedisScript(p, layout.members), `start-redis.sh tls ${enabled}`);
            assertShScriptLints(startSentinelScript(p), `start-sentinel.sh tls ${enabled}`);
            assertShScriptLints(probeScript(p), `probe.sh tls ${enabled}`);
            const haproxy = haproxyTlsCommand(p, layout);
            if (enabled) assertShScriptLints(haproxy, "haproxy command");
        }
    });

    describe("bad tls input on Kubernetes: one error naming the field, before any resource", () => {
        const base = { provider: "kubernetes" as const, maxmemory: "1gb" };
        const cases: [string, RedisDeploymentArgs["tls"], RegExp][] = [
            ["certManagerIssuer without tls.ca", { enabled: true, certManagerIssuer: "corp-ca" }, /tls\.ca: is required with tls\.certManagerIssuer/],
            ["certManagerIssuer with a CA key", { enabled: true, certManagerIssuer: "corp-ca", ca: ISSUER_CA, caKey: "k" }, /tls\.certManagerIssuer: is given together with tls\.caKey/],
            ["certManagerIssuer with clientAuth required", { enabled: true, certManagerIssuer: "corp-ca", ca: ISSUER_CA, clientAuth: "required" }, /tls\.clientAuth: "required" can not be used with tls\.certManagerIssuer/],
            ["an issuer name that is no Kubernetes name", { enabled: true, certManagerIssuer: { name: "Corp CA" }, ca: ISSUER_CA }, /tls\.certManagerIssuer\.name: must be the issuer's name/],
            ["an unknown issuer kind", { enabled: true, certManagerIssuer: { name: "corp-ca", kind: "Vault" as never }, ca: ISSUER_CA }, /tls\.certManagerIssuer\.kind/],
        ];
        for (const [title, tls, message] of cases) {
            it(`refuses ${title}`, () => {
                assert.throws(() => validateArgs("bad", { ...base, tls }), (err: unknown) => err instanceof RedisDeploymentArgumentError && message.test((err as Error).message));
            });
        }
        it("refuses certManagerIssuer on another provider", () => {
            assert.throws(() => validateArgs("bad", { provider: "local", tls: { enabled: true, certManagerIssuer: "corp-ca", ca: ISSUER_CA } }),
                /tls\.certManagerIssuer: is read by the kubernetes provider only/);
        });
    });
});
