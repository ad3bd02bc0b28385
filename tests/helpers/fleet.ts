// Real redis-server / redis-sentinel / haproxy processes for integration tests, started through
// the local provider's own process functions and always stopped by pid, also on failure.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HAPROXY_WRITE_BACKEND, renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { plan } from "../../components/plan";
import { ADMIN_USER, MONITOR_USER, type AddressedMember, type AddressedNode, type Credentials, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import type { RedisDeploymentArgs } from "../../components/args";
import { localAddress, localExporterCommand, restartPolicy } from "../../providers/local";
import { isOurProcess, reconfigure, startProcess, stopProcess, type ProcessInputs, type ProcessOutputs } from "../../providers/local/process";
import { convergeReplication, type BootstrapMember } from "../../bootstrap/replication";
import { withClient } from "../../bootstrap/redisClient";
import { issueTestTls } from "./tls";
import { clientTlsOf, nodeTlsFiles, type TlsMaterial } from "../../components/tls";
import type { BootstrapAccess } from "../../components/types";

const livePids = new Set<number>();
process.on("exit", () => {
    for (const pid of livePids) {
        try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
    }
});

// Integration fleets use 127.150-199 (unit renderer tests use 127.200-250).
let nextPrefix = 150 + Math.floor(Math.random() * 50);
/** A fresh 127.N block per fleet, so a test never meets a previous test's sockets. */
function freshPrefix(): string {
    nextPrefix = nextPrefix >= 199 ? 150 : nextPrefix + 1;
    return `127.${nextPrefix}`;
}

export const testCredentials = (): Credentials => ({
    password: "app-" + Math.random().toString(16).slice(2).padEnd(16, "0"),
    adminPassword: "admin-" + Math.random().toString(16).slice(2).padEnd(16, "0"),
    monitorPassword: "monitor-" + Math.random().toString(16).slice(2).padEnd(16, "0"),
});

/** Optional knobs for fleets that are not plain integration fixtures (reliability suite, bench). */
export interface FleetOptions {
    /** The 127.N block of the fleet's addresses (default: a fresh one in 127.150-199). */
    prefix?: string;
    /** Directives appended to every rendered redis.conf (a later directive wins), e.g. a stock timeout to compare with. */
    redisConfExtra?: string[];
    /** Directory prefix of the fleet's data root (default "rd-test-"). */
    rootPrefix?: string;
}

export class Fleet {
    readonly prefix: string;
    readonly root: string;
    readonly credentials = testCredentials();
    readonly plan: TopologyPlan;
    readonly members: AddressedMember[];
    readonly sentinels: AddressedNode[];
    readonly proxies: (AddressedNode & { readPort: number })[];
    readonly processes: ProcessOutputs[] = [];

    constructor(name: string, args: RedisDeploymentArgs, readonly options: FleetOptions = {}) {
        this.prefix = options.prefix ?? freshPrefix();
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), options.rootPrefix ?? "rd-test-"));
        this.plan = plan(validateArgs(name, args));
        this.members = this.plan.members.map((m) => ({ ...m, address: localAddress(this.prefix, "member", m.ordinal) }));
        this.sentinels = this.plan.sentinels.map((s) => ({ ...s, address: localAddress(this.prefix, "sentinel", s.ordinal) }));
        this.proxies = this.plan.proxies.map((p) => ({ ...p, address: localAddress(this.prefix, "proxy", p.ordinal) }));
        if (this.plan.args.tls.enabled) {
            // Issued the way the TlsCertificates resource issues them: a CA, one per node at its address.
            this.tls = issueTestTls(name, this.plan.args.tls, Object.fromEntries([...this.members, ...this.sentinels, ...this.proxies].map((n) => [n.name, [n.address]]))).material;
        }
    }

    /** With tls.enabled: the fleet's CA and certificates. */
    readonly tls?: TlsMaterial;

    /** How the bootstrap reaches this fleet: directly, over TLS with the client certificate when it has TLS. */
    get access(): BootstrapAccess {
        return this.tls ? { kind: "direct", tls: this.clientTls! } : { kind: "direct" };
    }

    get clientTls() {
        return this.tls ? clientTlsOf(this.tls) : undefined;
    }

    /** A node's TLS inputs for the local process (none without TLS), and its config's tlsDir. */
    private tlsOf(name: string, dataDir: string): { tls?: ProcessInputs["tls"]; tlsFiles?: Record<string, string>; tlsDir?: string } {
        if (!this.tls) return {};
        return { tls: this.clientTls, tlsFiles: nodeTlsFiles(this.tls, name), tlsDir: path.join(dataDir, "tls") };
    }

    get adminLogin() {
        return { user: ADMIN_USER, password: this.credentials.adminPassword };
    }

    bootstrapMembers(members: AddressedMember[] = this.members): BootstrapMember[] {
        return members.map(({ name, shard, index, role, address, port }) => ({ name, shard, index, role, address, port }));
    }

    private async start(p: Parameters<typeof startProcess>[0]): Promise<ProcessOutputs> {
        const outs = await startProcess(p);
        livePids.add(outs.pid);
        this.processes.push(outs);
        return outs;
    }

    /** The redis.conf the fleet gives `member` (the renderer's output plus `options.redisConfExtra`). */
    memberConfig(member: AddressedMember): string {
        const dataDir = path.join(this.root, member.name);
        const rendered = renderRedisConf({ args: this.plan.args, member, credentials: this.credentials, dataDir, tlsDir: this.tlsOf(member.name, dataDir).tlsDir });
        const extra = this.options.redisConfExtra ?? [];
        return extra.length === 0 ? rendered : `${rendered}${extra.join("\n")}\n`;
    }

    /**
     * Starts `member` on its data directory (again, after a stop or a crash: the data stays).
     * `extraConfig` lines are appended to its config, e.g. `replicaof <master> 6379` to bring a
     * former master back as a replica.
     */
    async startMember(member: AddressedMember, extraConfig: string[] = []): Promise<ProcessOutputs> {
        const dataDir = path.join(this.root, member.name);
        const config = this.memberConfig(member);
        return this.start({
            kind: "redis", name: member.name, address: member.address, port: member.port, dataDir,
            config: extraConfig.length === 0 ? config : `${config}${extraConfig.join("\n")}\n`,
            command: ["redis-server", "{config}"],
            readiness: { ...this.adminLogin, timeoutMs: 15000 },
            adminPassword: this.credentials.adminPassword,
            ...restartPolicy(this.plan.args, this.members, member),
            ...this.tlsOf(member.name, dataDir),
        });
    }

    async startMembers(members: AddressedMember[] = this.members): Promise<ProcessOutputs[]> {
        return Promise.all(members.map((m) => this.startMember(m)));
    }

    /**
     * Replication formed by the bootstrap over the fleet's access (TLS when it has TLS), then
     * `keys` keys `k:<i>` = `v-<i>` written to the master and acknowledged by a replica (WAIT 1).
     */
    async replicateWithKeys(keys: number): Promise<void> {
        await convergeReplication({ members: this.bootstrapMembers(), adminPassword: this.credentials.adminPassword, access: this.access, timeoutMs: 30000, generation: "1" });
        const master = this.members.find((m) => m.role === "master")!;
        await withClient(this.access, master, this.adminLogin, async (c) => {
            for (let i = 0; i < keys; i += 500) {
                const p = c.pipeline();
                for (let j = i; j < Math.min(i + 500, keys); j++) p.set(`k:${j}`, `v-${j}`);
                await p.exec();
            }
            await c.call("WAIT", "1", "5000");
        });
    }

    async startSentinels(): Promise<ProcessOutputs[]> {
        return Promise.all(this.sentinels.map((sentinel) => {
            const dataDir = path.join(this.root, sentinel.name);
            return this.start({
                kind: "sentinel", name: sentinel.name, address: sentinel.address, port: sentinel.port, dataDir,
                config: renderSentinelConf({ args: this.plan.args, sentinel, credentials: this.credentials, dataDir, tlsDir: this.tlsOf(sentinel.name, dataDir).tlsDir }),
                command: ["redis-server", "{config}", "--sentinel"],
                readiness: { password: this.credentials.password, timeoutMs: 15000 },
                ...this.tlsOf(sentinel.name, dataDir),
            });
        }));
    }

    async startProxies(): Promise<ProcessOutputs[]> {
        return Promise.all(this.proxies.map((proxy) => {
            const dataDir = path.join(this.root, proxy.name);
            return this.start({
                kind: "haproxy", name: proxy.name, address: proxy.address, port: proxy.port, dataDir,
                config: renderHaproxyCfg({ proxy, members: this.members, credentials: this.credentials, socketPath: path.join(dataDir, "haproxy.sock"), tls: this.plan.args.tls, tlsDir: this.tlsOf(proxy.name, dataDir).tlsDir }),
                ...this.tlsOf(proxy.name, dataDir),
                command: ["haproxy", "-db", "-f", "{config}"],
                readiness: {
                    user: MONITOR_USER, password: this.credentials.monitorPassword, expectRole: "master",
                    statsSocket: path.join(dataDir, "haproxy.sock"), backend: HAPROXY_WRITE_BACKEND, timeoutMs: 15000,
                },
            });
        }));
    }

    /**
     * A redis_exporter for `node` (a member or sentinel of this fleet) with the local provider's
     * command line, on `metrics.exporterPort` (or `options.port`), over TLS with the node's own
     * certificate directory when the fleet has TLS (or `options.tlsDir`); ready once it reports
     * `redis_up 1` (startProcess stops it and throws, with its log, when it never does).
     */
    async startExporter(node: AddressedNode, options: { port?: number; tlsDir?: string; withoutClientCertificate?: boolean; debug?: boolean; timeoutMs?: number } = {}): Promise<ProcessOutputs> {
        const port = options.port ?? this.plan.args.metrics.exporterPort;
        const name = `${node.name}-exporter${options.port ? `-${options.port}` : ""}`;
        const tlsDir = options.tlsDir ?? (this.tls ? path.join(this.root, node.name, "tls") : undefined);
        const { url, command } = localExporterCommand("prometheus-redis-exporter", node, port, tlsDir);
        // Leaves out the client certificate (flag and value), to show clientAuth "required" needs it.
        const argv = options.withoutClientCertificate ? command.filter((a, i) => !/^-tls-client-/.test(a) && !/^-tls-client-/.test(command[i - 1] ?? "")) : command;
        return this.start({
            kind: "exporter", name, address: node.address, port, dataDir: path.join(this.root, name),
            config: `${JSON.stringify({ [url]: this.credentials.monitorPassword })}\n`,
            // -debug: the log then says why a connection failed.
            command: options.debug ? [...argv, "-debug"] : argv,
            readiness: { timeoutMs: options.timeoutMs ?? 15000 },
        });
    }

    async stop(outs: ProcessOutputs): Promise<void> {
        await stopProcess(outs);
        livePids.delete(outs.pid);
    }

    /** The latest process started under `name` (members, sentinels and proxies are started under their plan names). */
    process(name: string): ProcessOutputs {
        const found = this.processes.filter((p) => p.name === name).pop();
        if (!found) throw new Error(`no process named ${name} in this fleet`);
        return found;
    }

    /**
     * Brings a stopped or crashed process back the way `pulumi up` does: the local provider's
     * update with the same inputs, which finds the pid gone and restarts it with its role.
     */
    async restartLikeUp(name: string): Promise<ProcessOutputs> {
        const olds = this.process(name);
        const { pid: _pid, configFile: _c, logFile: _l, ...inputs } = olds;
        const outs = await reconfigure(olds, inputs as ProcessInputs);
        livePids.add(outs.pid);
        this.processes.push(outs);
        return outs;
    }

    /** kill -9 of a process (a crash: no shutdown save, no goodbye to peers); resolves once it is gone. */
    async kill(outs: ProcessOutputs): Promise<void> {
        if (isOurProcess(outs.pid, outs.configFile)) {
            try { process.kill(outs.pid, "SIGKILL"); } catch { /* gone already */ }
        }
        const deadline = Date.now() + 10000;
        while (isOurProcess(outs.pid, outs.configFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        livePids.delete(outs.pid);
    }

    /** Stops every process by pid and removes the data directories. */
    async cleanup(): Promise<void> {
        await Promise.all(this.processes.map((p) => this.stop(p)));
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/** Pids of processes whose command line or working directory is under `dir`: what a test left running there. */
export function processesUnder(dir: string): number[] {
    return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((pid) => {
        try {
            if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) return true;
            return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
        } catch {
            return false;
        }
    }).map(Number);
}
