import * as pulumi from "@pulumi/pulumi";
import type { RedisDeploymentArgs } from "./args";
import { renderDiagram } from "./diagram";
import type { LogLocations } from "./logs";
import { metricsTargets } from "./metrics";
import { plan } from "./plan";
import { type AddressedMember, type BootstrapAccess, type Credentials, type ProviderKind, type RetiringPasswords, type TopologyPlan } from "./types";
import { acceptedPasswords, adminLoginPassword, userPasswords } from "./config/users";
import { argumentErrorsAsRunError } from "./runError";
import { validateArgs } from "./validate";
import { requireCapability, type InfraProvider, type NodeHandles, type ProviderContext } from "../providers/types";
import { TlsCertificates } from "../bootstrap/tlsCertificates";
import { TLS_FILES, certificateSubjects, clientTlsOf, type TlsMaterial } from "./tls";
import { ClusterBootstrap } from "../bootstrap/cluster";
import { CredentialsSync } from "../bootstrap/credentials";
import { DeploymentPassword } from "../bootstrap/password";
import { ReplicationBootstrap, type BootstrapMember } from "../bootstrap/replication";
import { SentinelBootstrap } from "../bootstrap/sentinel";
import { checkRestoreLayout, dataLoadResources, scheduleBackups } from "./backupResources";

export interface MemberInfo {
    name: string;
    shard: number;
    role: string;
    zone: string;
    address: string;
    port: number;
}

/** Every output of the component, in the order the CLI prints them: registered from this one list. */
export const OUTPUT_NAMES = [
    "endpoint", "readEndpoint", "sentinelAddresses", "masterName", "clusterNodes", "members",
    "proxyAddresses", "password", "connectionUrl", "caCertificate", "passwordRotation", "diagram", "metricsTargets", "logs",
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** How long the bootstrap waits for members, links and agreement before it fails. */
const BOOTSTRAP_TIMEOUT_MS = 120000;

/** One provider per kind (the type makes a new kind name its provider); each is loaded only when used (cloud SDKs are optional). */
const PROVIDERS: Record<ProviderKind, (name: string, args: RedisDeploymentArgs, topology: TopologyPlan) => InfraProvider> = {
    local: (name, args) => {
        const { LocalProvider } = require("../providers/local") as typeof import("../providers/local");
        return new LocalProvider(name, args.local);
    },
    kubernetes: (name, args, topology) => {
        const { KubernetesProvider } = require("../providers/kubernetes") as typeof import("../providers/kubernetes");
        return new KubernetesProvider(name, args, topology);
    },
    aws: (name, args, topology) => {
        const { AwsProvider } = require("../providers/aws") as typeof import("../providers/aws");
        return new AwsProvider(name, args, topology);
    },
    gcp: (name, args, topology) => {
        const { GcpProvider } = require("../providers/gcp") as typeof import("../providers/gcp");
        return new GcpProvider(name, args, topology);
    },
    azure: (name, args, topology) => {
        const { AzureProvider } = require("../providers/azure") as typeof import("../providers/azure");
        return new AzureProvider(name, args, topology);
    },
};

/** The provider kinds this build can deploy to. */
export const AVAILABLE_PROVIDERS = Object.keys(PROVIDERS) as ProviderKind[];

function planFrom(name: string, args: RedisDeploymentArgs): TopologyPlan {
    return argumentErrorsAsRunError(() => plan(validateArgs(name, args)));
}

function toBootstrapMembers(members: AddressedMember[]): BootstrapMember[] {
    return members.map(({ name, shard, index, role, address, port }) => ({ name, shard, index, role, address, port }));
}

/**
 * Self-managed Redis: standalone, replication, sentinel or cluster, with HAProxy in front,
 * on this machine (`local`) or a cloud provider. See docs/arguments.md for the arguments.
 */
export class RedisDeployment extends pulumi.ComponentResource {
    /** host:port for writes: the load balancer, else the first proxy, else the master (first master in cluster mode). */
    declare readonly endpoint: pulumi.Output<string>;
    /** host:port for reads from replicas (proxy read frontend), when there is one. */
    declare readonly readEndpoint: pulumi.Output<string | undefined>;
    declare readonly sentinelAddresses: pulumi.Output<string[]>;
    declare readonly masterName: pulumi.Output<string | undefined>;
    declare readonly clusterNodes: pulumi.Output<string[]>;
    declare readonly members: pulumi.Output<MemberInfo[]>;
    declare readonly proxyAddresses: pulumi.Output<string[]>;
    /** The application password (secret). Empty when auth is disabled. */
    declare readonly password: pulumi.Output<string>;
    /**
     * redis://[default:password@]endpoint (secret), rediss:// with TLS; the `default` user name
     * makes redis-cli 7 and every ACL-aware client accept it.
     */
    declare readonly connectionUrl: pulumi.Output<string>;
    /** With TLS: the CA certificate (PEM) clients check the deployment's certificates against; empty without. */
    declare readonly caCertificate: pulumi.Output<string>;
    /**
     * `"idle"`, or `"rotating"` during phase 1 of a password rotation (the old and the new
     * password are both valid until an `up` with `auth.rotation: "set"`).
     */
    declare readonly passwordRotation: pulumi.Output<"idle" | "rotating">;
    /** Mermaid diagram of the topology. */
    declare readonly diagram: pulumi.Output<string>;
    /**
     * Prometheus scrape targets (host:port, path /metrics), ready for a `static_configs` entry:
     * every member's and sentinel's redis_exporter and every proxy's HAProxy stats endpoint.
     * Empty unless `metrics` is on.
     */
    declare readonly metricsTargets: pulumi.Output<string[]>;
    /**
     * Where the nodes' logs are: `destination` (the cloud's log service with `logs` on, the
     * journal on VMs otherwise, files on this machine locally, pods' stdout on Kubernetes) and
     * `files`, node name -> its log file (locally a path here; on VMs with logs on, `<vm>:<path>`).
     */
    declare readonly logs: pulumi.Output<LogLocations>;
    /** The validated plan this deployment was built from. */
    declare readonly plan: TopologyPlan;

    constructor(name: string, args: RedisDeploymentArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        // Validate before registering anything, so bad input leaves no trace in the stack.
        // (An existing component being rehydrated, `opts.urn`, has nothing to validate.)
        const topology = opts.urn ? undefined : planFrom(name, args);
        // A backup set to restore must fit this deployment: checked before anything is registered.
        if (topology) checkRestoreLayout(name, topology);
        super("redis-deployment:index:RedisDeployment", name, {}, opts);
        if (!topology) return;
        const provider = PROVIDERS[topology.args.provider](name, args, topology);
        Object.assign(this, { plan: topology });
        const mode = topology.args.mode;

        const { rotation, rotateInternal, authEnabled } = topology.args;
        const secret = new DeploymentPassword(`${name}-password`, {
            given: args.auth?.password, rotation, rotateInternal, transport: topology.args.tls.enabled ? "tls" : "plain",
        }, { parent: this });
        const credentials: pulumi.Output<Credentials> = pulumi.secret(pulumi.all([
            secret.password, secret.adminPassword, secret.monitorPassword,
            secret.retiringPassword, secret.retiringAdminPassword, secret.retiringMonitorPassword,
        ]).apply(([password, adminPassword, monitorPassword, retiringPassword, retiringAdminPassword, retiringMonitorPassword]) => {
            const retiring: RetiringPasswords = {};
            if (retiringPassword) retiring.password = retiringPassword;
            if (retiringAdminPassword) retiring.adminPassword = retiringAdminPassword;
            if (retiringMonitorPassword) retiring.monitorPassword = retiringMonitorPassword;
            return Object.keys(retiring).length > 0 ? { password, adminPassword, monitorPassword, retiring } : { password, adminPassword, monitorPassword };
        }));
        const ctx: ProviderContext = { plan: topology, credentials, parent: this };
        const issuedBy = topology.args.tls.source === "cert-manager" ? "cert-manager" : "deployment";
        const tlsCertificates = topology.args.tls.enabled && issuedBy === "deployment" ? deploymentCertificates(name, args, topology, provider, ctx) : undefined;
        // With cert-manager the pods' certificates and keys never pass through this program: the
        // provider asks for them, and only the issuer's CA (tls.ca) is known here.
        const caCertificate = tlsCertificates ? tlsCertificates.caCertificate
            : topology.args.tls.enabled ? pulumi.output(args.tls!.ca!) : undefined;
        const tls = tlsCertificates ? pulumi.secret(pulumi.all([tlsCertificates.caCertificate, tlsCertificates.issued, tlsCertificates.client])
            .apply(([ca, nodes, client]): TlsMaterial => ({ ca, nodes, ...(client ? { client } : {}) })))
            : caCertificate && pulumi.secret(caCertificate.apply((ca): TlsMaterial => ({ ca, nodes: {} })));
        if (tls) ctx.tls = tls;
        if (tls && tlsCertificates) {
            // The private keys go where the provider keeps secrets (the certificates travel with the configs).
            provider.secretFiles?.(ctx, Object.fromEntries([...topology.members, ...topology.sentinels, ...topology.proxies].map((n) =>
                [n.name, { [TLS_FILES.key]: pulumi.secret(tls.apply((m) => m.nodes?.[n.name]?.key ?? "")) }])));
        }

        // The backup job and its store permission come first: a VM's boot script carries its job.
        scheduleBackups(name, provider, ctx);
        const members = provider.members(ctx);
        const sentinels = mode === "sentinel" ? provider.sentinels(ctx) : undefined;
        const access = bootstrapAccess(args, provider.access(), tls);
        const timeoutMs = provider.bootstrapTimeoutMs ?? BOOTSTRAP_TIMEOUT_MS;
        // The passwords, live on every member and sentinel (a rotation's phases), before the
        // bootstrap and the proxies, which log in and check with them.
        const liveCredentials = new CredentialsSync(`${name}-credentials`, {
            members: members.nodes.apply((ms) => ms.map(({ name: n, address, port }) => ({ name: n, address, port }))),
            sentinels: sentinels ? sentinels.nodes.apply((ns) => ns.map(({ address, port }) => ({ address, port }))) : [],
            masterName: mode === "sentinel" ? topology.masterName : "",
            users: credentials.apply((c) => userPasswords(c, authEnabled)),
            adminPasswords: credentials.apply((c) => acceptedPasswords(c, "adminPassword")),
            access,
            timeoutMs,
        }, { parent: this, dependsOn: [...members.resources, ...(sentinels?.resources ?? [])] });
        const common = {
            members: members.nodes.apply(toBootstrapMembers),
            adminPassword: credentials.apply(adminLoginPassword),
            access,
            timeoutMs,
        };
        const bootstrapOpts = (after: NodeHandles[]) => ({ parent: this, dependsOn: [...after.flatMap((h) => h.resources), liveCredentials] });
        const generation = (handles: NodeHandles[]) => pulumi.all(handles.map((h) => h.generation)).apply((g) => g.join(";"));

        let bootstrap: pulumi.Resource[] = [];
        if (mode === "replication") {
            bootstrap = [new ReplicationBootstrap(`${name}-replication`, { ...common, generation: generation([members]) }, bootstrapOpts([members]))];
        } else if (mode === "sentinel" && sentinels) {
            bootstrap = [new SentinelBootstrap(`${name}-sentinel`, {
                ...common,
                generation: generation([members, sentinels]),
                sentinels: sentinels.nodes.apply((ns) => ns.map(({ address, port }) => ({ address, port }))),
                masterName: topology.masterName,
                quorum: topology.quorum,
                ...topology.args.sentinel,
            }, bootstrapOpts([members, sentinels]))];
        } else if (mode === "cluster") {
            bootstrap = [new ClusterBootstrap(`${name}-cluster`, {
                ...common,
                generation: generation([members]),
                shards: topology.shards.map((s) => ({ index: s.index, slots: s.slots! })),
            }, bootstrapOpts([members]))];
        }

        // The data a new deployment starts with (a restored backup set or imported RDB files),
        // loaded once, after the bootstrap.
        const dataLoad = dataLoadResources(name, ctx, members, common, [liveCredentials, ...bootstrap]);

        const proxies = provider.proxies(ctx, members.nodes, [...members.resources, liveCredentials, ...bootstrap]);
        const loadBalancer = provider.loadBalancer(ctx, proxies);
        const firstProxy = proxies.nodes.apply((ps) => ps[0]);
        const firstMaster = members.nodes.apply((ms) => ms.find((m) => m.role === "master")!);
        // Endpoints become known only after the bootstrap and proxies are up, so a client that
        // awaits them finds a working deployment.
        const ready = pulumi.all([...bootstrap, ...dataLoad, ...proxies.resources].map((r) => (r as pulumi.CustomResource).id));

        const endpoint = pulumi.all([loadBalancer, firstProxy, firstMaster, ready]).apply(([lb, proxy, master]) =>
            lb ?? (proxy ? `${proxy.address}:${proxy.port}` : `${master.address}:${master.port}`));
        const readEndpoint = pulumi.all([firstProxy, ready]).apply(([proxy]) => (proxy ? `${proxy.address}:${proxy.readPort}` : undefined));
        const sentinelAddresses = sentinels ? sentinels.nodes.apply((ns) => ns.map((s) => `${s.address}:${s.port}`)) : pulumi.output([] as string[]);
        const clusterNodes = mode === "cluster" ? members.nodes.apply((ms) => ms.map((m) => `${m.address}:${m.port}`)) : pulumi.output([] as string[]);
        const password = authEnabled ? credentials.apply((c) => c.password) : pulumi.secret("");
        const scheme = tls ? "rediss" : "redis";
        const connectionUrl = pulumi.secret(pulumi.all([password, endpoint]).apply(([pw, ep]) => `${scheme}://${pw ? `default:${pw}@` : ""}${ep}`));

        Object.assign(this, {
            endpoint,
            readEndpoint,
            sentinelAddresses,
            masterName: pulumi.output(mode === "sentinel" ? topology.masterName : undefined),
            clusterNodes,
            members: members.nodes.apply((ms) => ms.map(({ name: n, shard, role, zone, address, port }) => ({ name: n, shard, role, zone, address, port }))),
            proxyAddresses: proxies.nodes.apply((ps) => ps.map((p) => `${p.address}:${p.port}`)),
            password,
            connectionUrl,
            caCertificate: caCertificate ?? pulumi.output(""),
            passwordRotation: secret.rotationInProgress.apply((p) => (p ? "rotating" : "idle")),
            logs: pulumi.output(provider.logs(ctx)),
            metricsTargets: pulumi.all([members.nodes, sentinels?.nodes ?? pulumi.output([]), proxies.nodes]).apply(([ms, ss, ps]) =>
                metricsTargets(topology.args.metrics, { members: ms, sentinels: ss, proxies: ps })),
            diagram: pulumi.all([members.nodes, sentinels?.nodes ?? pulumi.output([]), proxies.nodes, loadBalancer]).apply(([ms, ss, ps, lb]) =>
                renderDiagram({ name, members: ms, sentinels: ss, proxies: ps, loadBalancer: lb })),
        });
        this.registerOutputs(Object.fromEntries(OUTPUT_NAMES.map((key) => [key, this[key]])));
    }
}

/**
 * access.ssh (validated) as the bootstraps' access, else the provider's own; with TLS, every
 * connection over it speaks TLS with the deployment's CA and client certificate. The whole
 * access input is then a secret Output: it carries private keys, never plain in state.
 */
function bootstrapAccess(args: RedisDeploymentArgs, fallback: BootstrapAccess, tls?: pulumi.Output<TlsMaterial>): pulumi.Input<BootstrapAccess> {
    const ssh = args.access?.ssh;
    const route: pulumi.Input<BootstrapAccess> = !ssh ? fallback : pulumi.secret(pulumi.output(ssh.privateKey).apply((privateKey): BootstrapAccess => ({
        kind: "ssh", host: ssh.host, port: ssh.port ?? 22, user: ssh.user, privateKey,
        ...(ssh.hostKey !== undefined ? { hostKey: ssh.hostKey.trim() } : {}),
    })));
    if (!tls) return route;
    return pulumi.secret(pulumi.all([route, tls]).apply(([access, material]): BootstrapAccess => ({
        ...access, tls: clientTlsOf(material),
    })));
}

/** The CA and the certificates of every node, named as the provider will reach them. */
function deploymentCertificates(name: string, args: RedisDeploymentArgs, topology: TopologyPlan, provider: InfraProvider, ctx: ProviderContext): TlsCertificates {
    const subjects = requireCapability(provider, "tlsSubjects", "TLS (tls.enabled)")(ctx);
    const given = args.tls ?? {};
    const certificates = given.certificates === undefined ? undefined
        : pulumi.secret(pulumi.all(Object.entries(given.certificates).map(([node, pair]) =>
            pulumi.all([pair.certificate, pair.key]).apply(([certificate, key]) => [node, { certificate, key }] as const)))
            .apply((entries) => Object.fromEntries(entries)));
    return new TlsCertificates(`${name}-tls`, {
        deployment: name,
        nodes: subjects.apply((s) => Object.entries(certificateSubjects(topology.args.tls, topology.proxies.map((p) => p.name), s)).map(([node, names]) => ({ name: node, names }))),
        clientAuth: topology.args.tls.clientAuth,
        validityDays: topology.args.tls.validityDays,
        renewBeforeDays: topology.args.tls.renewBeforeDays,
        ...(given.ca !== undefined ? { ca: given.ca } : {}),
        ...(given.caKey !== undefined ? { caKey: pulumi.secret(given.caKey) } : {}),
        ...(certificates ? { certificates } : {}),
    }, { parent: ctx.parent });
}
