import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { LocalProviderArgs } from "../../components/args";
import { HAPROXY_WRITE_BACKEND, renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import type { LogLocations } from "../../components/logs";
import { exporterConnection, haproxyStatsPort } from "../../components/metrics";
import { adminLoginPassword } from "../../components/config/users";
import { ADMIN_USER, MONITOR_USER, type AddressedMember, type AddressedNode, type BootstrapAccess, type TopologyPlan } from "../../components/types";
import { clientTlsOf, nodeTlsFiles } from "../../components/tls";
import type { InfraProvider, NodeHandles, ProviderContext, ProxyNode } from "../types";
import { LocalProcess, type ProcessInputs } from "./process";

export { LocalProcess } from "./process";

/**
 * Address groups inside the deployment's 127.N block: members from 127.N.0.x (up to 1000
 * shards x 11 members need third octets 0..43), sentinels 127.N.250.x, proxies 127.N.251.x.
 */
const GROUP = { member: 0, sentinel: 250, proxy: 251 } as const;

/** `127.N.G.H`: every node its own loopback address, like a static private IP on a cloud. */
export function localAddress(prefix: string, group: keyof typeof GROUP, ordinal: number): string {
    return `${prefix}.${GROUP[group] + Math.floor(ordinal / 250)}.${(ordinal % 250) + 2}`;
}

/** A stable 127.N prefix per project, stack and deployment, so two deployments do not collide. */
export function defaultAddressPrefix(project: string, stack: string, name: string): string {
    const digest = createHash("sha256").update(`${project}/${stack}/${name}`).digest();
    return `127.${20 + (digest.readUInt16BE(0) % 230)}`;
}

/** Finds a program on PATH (or checks a given path), or fails with how to install it. */
export function findProgram(program: string, debianPackage: string, setting = debianPackage === "haproxy" ? "haproxy" : "redisServer"): string {
    const candidates = program.includes("/") ? [program] : (process.env.PATH ?? "").split(":").filter(Boolean).map((d) => path.join(d, program));
    for (const file of candidates) {
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return file;
        } catch { /* next */ }
    }
    throw new pulumi.RunError(`local provider: ${program} was not found on PATH. Install it with \`apt-get install ${debianPackage}\` (or run bin/setup), or set local.${setting} to its path.`);
}

const READY_TIMEOUT_MS = 30000;

/** Where a local node keeps its certificate files. */
function tlsDirOf(dataDir: string): string {
    return path.join(dataDir, "tls");
}

function tlsDirFor(ctx: ProviderContext, dataDir: string): { tlsDir?: string } {
    return ctx.tls ? { tlsDir: tlsDirOf(dataDir) } : {};
}

/**
 * A local redis_exporter's command line (`{config}`: its password file, JSON keyed by `url`):
 * reading `node`, listening on the node's address. `nodeTlsDir`: the node's own TLS directory
 * (`<dataDir>/tls`), whose certificate the exporter presents and whose CA it checks the node by.
 */
export function localExporterCommand(exporter: string, node: { address: string; port: number }, exporterPort: number, nodeTlsDir?: string): { url: string; command: string[] } {
    const { url, flags } = exporterConnection(node.address, node.port, nodeTlsDir);
    return {
        url,
        command: [exporter, "-redis.addr", url, "-redis.user", MONITOR_USER, "-redis.password-file", "{config}", ...flags,
            "-web.listen-address", `${node.address}:${exporterPort}`, "-log-format", "txt"],
    };
}

/** Derived address blocks taken by deployments of this program: two in one block would share addresses. */
const prefixesInUse = new Map<string, string>();

/** Real redis-server, redis-sentinel and haproxy processes on this machine. */
/**
 * How a member whose process is gone is started again (see ProcessInputs): in replication
 * without persistence a former master is held back rather than started empty; otherwise, in
 * master/replica modes, it rejoins whichever member is master now.
 */
export function restartPolicy(
    args: Pick<TopologyPlan["args"], "mode" | "persistence">,
    members: AddressedMember[],
    member: AddressedMember,
): Pick<ProcessInputs, "emptyMasterGuard" | "rejoinLiveMaster"> {
    const { mode, persistence } = args;
    if ((mode !== "sentinel" && mode !== "replication") || members.length < 2) return {};
    const peers = members.filter((m) => m !== member).map(({ address, port }) => ({ address, port }));
    const empty = mode === "replication" && !persistence.aof && !persistence.rdb;
    return empty ? { emptyMasterGuard: { peers } } : { rejoinLiveMaster: { peers } };
}

export class LocalProvider implements InfraProvider {
    readonly kind = "local" as const;
    private readonly prefix: string;
    private readonly dataRoot: string;

    constructor(name: string, private readonly options: LocalProviderArgs = {}) {
        this.prefix = options.addressPrefix ?? defaultAddressPrefix(pulumi.getProject(), pulumi.getStack(), name);
        // Derived blocks can collide (230 of them); a block given explicitly is the user's choice.
        const other = options.addressPrefix === undefined ? prefixesInUse.get(this.prefix) : undefined;
        if (other !== undefined && other !== name) {
            throw new pulumi.RunError(`RedisDeployment "${name}": local.addressPrefix: its address block ${this.prefix}.x.y is already used by "${other}" in this program; give one of them another block, e.g. local: { addressPrefix: "127.${this.prefix === "127.42" ? 43 : 42}" }`);
        }
        if (options.addressPrefix === undefined) prefixesInUse.set(this.prefix, name);
        this.dataRoot = options.dataDir
            ?? path.join(os.homedir(), ".redis-deployment", "data", `${pulumi.getProject()}-${pulumi.getStack()}`, name);
    }

    access(): BootstrapAccess {
        return { kind: "direct" };
    }

    private dataDir(node: string): string {
        return path.join(this.dataRoot, node);
    }

    /** Every node's loopback address: the subject alternative name of its certificate. */
    tlsSubjects({ plan }: ProviderContext): pulumi.Output<Record<string, string[]>> {
        const subjects: Record<string, string[]> = Object.fromEntries([
            ...plan.members.map((m) => [m.name, [localAddress(this.prefix, "member", m.ordinal)]]),
            ...plan.sentinels.map((s) => [s.name, [localAddress(this.prefix, "sentinel", s.ordinal)]]),
            ...plan.proxies.map((p) => [p.name, [localAddress(this.prefix, "proxy", p.ordinal)]]),
        ]);
        return pulumi.output(subjects) as unknown as pulumi.Output<Record<string, string[]>>;
    }

    /**
     * With TLS: the node's certificate files (mode 0600 in `<dataDir>/tls`, written by the
     * process resource before it starts) and how this program's own connections to it speak TLS.
     */
    private tlsInputs(ctx: ProviderContext, node: string, dataDir: string): Pick<ProcessInputs, "tls" | "tlsFiles" | "tlsDir"> | Record<string, never> {
        if (!ctx.tls) return {};
        return {
            tlsDir: tlsDirOf(dataDir),
            tlsFiles: ctx.tls.apply((m) => nodeTlsFiles(m, node)),
            tls: ctx.tls.apply(clientTlsOf),
        } as unknown as Pick<ProcessInputs, "tls" | "tlsFiles" | "tlsDir">;
    }

    /** Removed once empty: the deployment's root, and with the default layout its <project>-<stack> parent too. */
    private get ownedParents(): string[] {
        return this.options.dataDir === undefined ? [this.dataRoot, path.dirname(this.dataRoot)] : [this.dataRoot];
    }

    private handles<T extends AddressedNode>(nodes: T[], processes: LocalProcess[], companions: LocalProcess[] = []): NodeHandles<T> {
        return {
            nodes: pulumi.output(nodes) as unknown as pulumi.Output<T[]>,
            resources: [...processes, ...companions],
            generation: pulumi.all(processes.map((p) => p.pid)).apply((pids) => pids.join(",")),
        };
    }

    members(ctx: ProviderContext): NodeHandles<AddressedMember> {
        const redisServer = findProgram(this.options.redisServer ?? "redis-server", "redis-server");
        const members = ctx.plan.members.map((m) => ({ ...m, address: localAddress(this.prefix, "member", m.ordinal) }));
        const processes = members.map((member) => {
            const dataDir = this.dataDir(member.name);
            return new LocalProcess(member.name, {
                kind: "redis",
                name: member.name,
                address: member.address,
                port: member.port,
                dataDir,
                emptyParentsToRemove: this.ownedParents,
                config: ctx.credentials.apply((credentials) => renderRedisConf({ args: ctx.plan.args, member, credentials, dataDir, ...tlsDirFor(ctx, dataDir) })),
                ...this.tlsInputs(ctx, member.name, dataDir),
                command: [redisServer, "{config}"],
                // The admin password every member accepts now (the retiring one during a rotation).
                readiness: ctx.credentials.apply((c) => ({ user: ADMIN_USER, password: adminLoginPassword(c), timeoutMs: READY_TIMEOUT_MS })),
                adminPassword: ctx.credentials.apply(adminLoginPassword),
                ...restartPolicy(ctx.plan.args, members, member),
            }, { parent: ctx.parent });
        });
        return this.handles(members, processes, this.exporters(ctx, members, processes));
    }

    /**
     * With metrics on: a redis_exporter per node (member or sentinel) on the node's own address,
     * logging in as rd-monitor with a mode-0600 password file, in its own directory next to the
     * node's; with TLS over TLS with the node's own certificate files. Started after its node,
     * ready once it reports `redis_up 1`.
     */
    private exporters(ctx: ProviderContext, nodes: AddressedNode[], processes: LocalProcess[]): LocalProcess[] {
        const metrics = ctx.plan.args.metrics;
        if (!metrics.enabled) return [];
        const exporter = findProgram(this.options.redisExporter ?? "prometheus-redis-exporter", "prometheus-redis-exporter", "redisExporter");
        return nodes.map((node, i) => {
            const name = `${node.name}-exporter`;
            const { url, command } = localExporterCommand(exporter, node, metrics.exporterPort, ctx.tls ? tlsDirOf(this.dataDir(node.name)) : undefined);
            return new LocalProcess(name, {
                kind: "exporter",
                name,
                address: node.address,
                port: metrics.exporterPort,
                dataDir: this.dataDir(name),
                emptyParentsToRemove: this.ownedParents,
                config: ctx.credentials.apply((c) => `${JSON.stringify({ [url]: c.monitorPassword })}\n`),
                command,
                readiness: { timeoutMs: READY_TIMEOUT_MS },
            }, { parent: ctx.parent, dependsOn: [processes[i]] });
        });
    }

    sentinels(ctx: ProviderContext): NodeHandles {
        const redisServer = findProgram(this.options.redisServer ?? "redis-server", "redis-server");
        const sentinels = ctx.plan.sentinels.map((s) => ({ ...s, address: localAddress(this.prefix, "sentinel", s.ordinal) }));
        const processes = sentinels.map((sentinel) => {
            const dataDir = this.dataDir(sentinel.name);
            return new LocalProcess(sentinel.name, {
                kind: "sentinel",
                name: sentinel.name,
                address: sentinel.address,
                port: sentinel.port,
                dataDir,
                emptyParentsToRemove: this.ownedParents,
                config: ctx.credentials.apply((credentials) => renderSentinelConf({ args: ctx.plan.args, sentinel, credentials, dataDir, ...tlsDirFor(ctx, dataDir) })),
                ...this.tlsInputs(ctx, sentinel.name, dataDir),
                command: [redisServer, "{config}", "--sentinel"],
                readiness: ctx.credentials.apply((c) => ({ password: ctx.plan.args.authEnabled ? c.password : undefined, timeoutMs: READY_TIMEOUT_MS })),
            }, { parent: ctx.parent });
        });
        return this.handles(sentinels, processes, this.exporters(ctx, sentinels, processes));
    }

    proxies(ctx: ProviderContext, members: pulumi.Output<AddressedMember[]>, dependsOn: pulumi.Resource[]): NodeHandles<ProxyNode> {
        if (ctx.plan.proxies.length === 0) return this.handles([], []);
        const haproxy = findProgram(this.options.haproxy ?? "haproxy", "haproxy");
        const proxies = ctx.plan.proxies.map((p) => ({ ...p, address: localAddress(this.prefix, "proxy", p.ordinal) }));
        const processes = proxies.map((proxy) => {
            const dataDir = this.dataDir(proxy.name);
            const statsSocket = path.join(dataDir, "haproxy.sock");
            return new LocalProcess(proxy.name, {
                kind: "haproxy",
                name: proxy.name,
                address: proxy.address,
                port: proxy.port,
                dataDir,
                emptyParentsToRemove: this.ownedParents,
                config: pulumi.all([ctx.credentials, members]).apply(([credentials, ms]) =>
                    renderHaproxyCfg({ proxy, members: ms, credentials, socketPath: statsSocket, tls: ctx.plan.args.tls, ...tlsDirFor(ctx, dataDir), statsPort: haproxyStatsPort(ctx.plan.args) })),
                ...this.tlsInputs(ctx, proxy.name, dataDir),
                command: [haproxy, "-db", "-f", "{config}"],
                // Ready means: the write frontend already reaches the master.
                readiness: ctx.credentials.apply((c) => ({
                    user: MONITOR_USER, password: c.monitorPassword, expectRole: "master",
                    statsSocket, backend: HAPROXY_WRITE_BACKEND, timeoutMs: READY_TIMEOUT_MS,
                })),
            }, { parent: ctx.parent, dependsOn });
        });
        return this.handles(proxies, processes);
    }

    /** Each process logs to `<kind>.log` in its own directory (see process.ts). */
    logs(ctx: ProviderContext): LogLocations {
        const { plan } = ctx;
        const files: Record<string, string> = {};
        const add = (node: string, kind: string) => { files[node] = path.join(this.dataDir(node), `${kind}.log`); };
        for (const m of plan.members) add(m.name, "redis");
        for (const s of plan.sentinels) add(s.name, "sentinel");
        for (const p of plan.proxies) add(p.name, "haproxy");
        if (plan.args.metrics.enabled) for (const n of [...plan.members, ...plan.sentinels]) add(`${n.name}-exporter`, "exporter");
        return { destination: `files on this machine, under ${this.dataRoot}`, files };
    }

    loadBalancer(): undefined {
        // No load balancer on one machine: clients use the first proxy (validation rejects loadBalancer: true).
        return undefined;
    }
}
