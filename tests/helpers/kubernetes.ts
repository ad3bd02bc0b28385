// Test doubles for the Kubernetes provider, with real programs wherever one can run here:
// - KubePods: "pods" are real redis-server / redis-sentinel / haproxy processes started by the
//   provider's own container scripts (start-redis.sh, start-sentinel.sh, probe.sh) on the
//   provider's own rendered files, each on its own 127.70-89.x.y address (its "pod IP"), inside
//   a private mount namespace whose /etc/hosts maps the pods' DNS names
//   (<pod>.<service>.<ns>.svc.cluster.local) to those addresses, so the programs resolve real
//   hostnames. The host's /etc/hosts is not touched. Every process is killed by pid.
// - The pods' resolv.conf points at a small DNS server in this process answering from the
//   same map (A records, TTL 1 s), like the cluster DNS: programs that resolve at run time
//   (HAProxy's `resolvers`) see a pod's new IP when it changes.
// - FakeKubeApi: what can not run here, the API server: HTTPS with a bearer token, GET pod, and
//   the port-forward WebSocket protocol (v4.channel.k8s.io) piping to the pod's address, so the
//   bootstrap runs through the real @kubernetes/client-node code.
import { execFileSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { Duplex } from "stream";
import { spawnTracked } from "./realPrograms";

/** One /16 block per test process, in 127.70-89 (the range reserved for these tests). */
export const KUBE_BLOCK = 70 + crypto.randomInt(0, 20);
let nextHost = 10;

/** A fresh address in this run's block: 127.KUBE_BLOCK.x.y. */
export function freshPodIp(): string {
    const n = nextHost++;
    return `127.${KUBE_BLOCK}.${1 + Math.floor(n / 250)}.${(n % 250) + 2}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** argv prefix that runs a command in a private mount namespace (root: --mount; otherwise a user namespace too). */
function unsharePrefix(): string[] {
    return process.getuid?.() === 0 ? ["unshare", "--mount"] : ["unshare", "--user", "--map-root-user", "--mount"];
}

export type PodKind = "redis" | "sentinel" | "haproxy";

export interface PodSpec {
    kind: PodKind;
    /** Pod name (what $HOSTNAME is in a pod). */
    pod: string;
    /** The pod's DNS name, mapped in the hosts file to its IP. */
    host: string;
    /** config/<pod>.conf (redis, sentinel) or haproxy.cfg. */
    config: string;
    /** Files of the mounted Secret. */
    secret: Record<string, string>;
    /** Environment of the container (haproxy: the secretKeyRef variables). */
    env?: Record<string, string>;
    /** With TLS: the pod's certificate files (file name -> PEM), as the tls volume puts them in `<tls>/<pod>/`. */
    tls?: Record<string, string>;
    /** Port the probe / readiness check uses. */
    port: number;
}

export interface RunningPod {
    spec: PodSpec;
    ip: string;
    pid: number;
    child: ChildProcess;
    dir: string;
    output(): string;
    exited(): boolean;
}

let dnsInstances = 0;

/** Real pods for one test suite: scripts, hosts file, DNS, processes; `cleanup()` kills everything by pid. */
export class KubePods {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "rd-kube-"));
    readonly hostsFile = path.join(this.root, "hosts");
    readonly resolvFile = path.join(this.root, "resolv.conf");
    readonly scriptsDir = path.join(this.root, "scripts");
    /** DNS name -> IP, as the pods resolve them. */
    readonly names = new Map<string, string>();
    readonly running: RunningPod[] = [];
    /** One DNS server per instance (each has its own names). */
    readonly dnsAddress = `127.${KUBE_BLOCK}.0.${50 + (dnsInstances++ % 200)}`;
    /** Names the DNS server was asked for (lower case). */
    readonly dnsQueries: string[] = [];
    private dns?: dgram.Socket;

    constructor(scripts: Record<string, string>) {
        fs.mkdirSync(this.scriptsDir);
        for (const [file, text] of Object.entries(scripts)) fs.writeFileSync(path.join(this.scriptsDir, file), text, { mode: 0o755 });
        this.writeHosts();
        fs.writeFileSync(this.resolvFile, `nameserver ${this.dnsAddress}\noptions timeout:1 attempts:1\n`);
    }

    /** Starts the DNS server (UDP port 53 of dnsAddress: needs root, like the mount namespace). */
    async startDns(): Promise<void> {
        const socket = dgram.createSocket("udp4");
        socket.on("message", (query, peer) => {
            const reply = this.answer(query);
            if (reply) socket.send(reply, peer.port, peer.address);
        });
        await new Promise<void>((resolve, reject) => {
            socket.once("error", reject);
            socket.bind(53, this.dnsAddress, () => resolve());
        });
        this.dns = socket;
    }

    /** A DNS reply: A records from `names`, NXDOMAIN for unknown names, no answer for other types of known names. */
    private answer(query: Buffer): Buffer | undefined {
        if (query.length < 12) return undefined;
        let pos = 12;
        const labels: string[] = [];
        while (pos < query.length && query[pos] !== 0) {
            labels.push(query.toString("ascii", pos + 1, pos + 1 + query[pos]));
            pos += 1 + query[pos];
        }
        pos += 1;
        if (pos + 4 > query.length) return undefined;
        const qtype = query.readUInt16BE(pos);
        const question = query.subarray(12, pos + 4);
        const name = labels.join(".").toLowerCase();
        this.dnsQueries.push(name);
        const ip = this.names.get(name);
        const header = Buffer.alloc(12);
        query.copy(header, 0, 0, 2); // id
        header.writeUInt16BE(ip === undefined ? 0x8183 : 0x8180, 2); // response, recursion available, NXDOMAIN / NOERROR
        header.writeUInt16BE(1, 4);
        const answers: Buffer[] = [];
        if (ip !== undefined && qtype === 1) {
            const rr = Buffer.alloc(16);
            rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
            rr.writeUInt16BE(1, 2); // A
            rr.writeUInt16BE(1, 4); // IN
            rr.writeUInt32BE(1, 6); // TTL 1 s
            rr.writeUInt16BE(4, 10);
            ip.split(".").forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
            answers.push(rr);
        }
        header.writeUInt16BE(answers.length, 6);
        return Buffer.concat([header, question, ...answers]);
    }

    /** Maps a DNS name to an IP (rewritten in place: running pods see it at their next lookup). */
    map(host: string, ip: string): void {
        this.names.set(host, ip);
        this.writeHosts();
    }

    unmap(host: string): void {
        this.names.delete(host);
        this.writeHosts();
    }

    private writeHosts(): void {
        const lines = ["127.0.0.1 localhost", ...[...this.names].map(([h, ip]) => `${ip} ${h} ${h.split(".")[0]}`)];
        // Same inode (truncate + write): the bind mount keeps pointing at it.
        fs.writeFileSync(this.hostsFile, lines.join("\n") + "\n");
    }

    podDir(pod: string): string {
        return path.join(this.root, pod);
    }

    /**
     * Starts a pod at `ip` (its DNS name mapped there first). Redis and sentinel run the
     * provider's start script; HAProxy runs on its config like the container's command. The
     * pod's data directory survives restarts (the PVC).
     */
    start(spec: PodSpec, ip: string): RunningPod {
        const dir = this.podDir(spec.pod);
        for (const sub of ["config", "secret", "data"]) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o700 });
        const configFile = spec.kind === "haproxy" ? path.join(dir, "config", "haproxy.cfg") : path.join(dir, "config", `${spec.pod}.conf`);
        fs.writeFileSync(configFile, spec.config);
        for (const [key, text] of Object.entries(spec.secret)) {
            const file = path.join(dir, "secret", key);
            if (fs.existsSync(file)) fs.chmodSync(file, 0o600); // a restarted pod: the Secret is mounted again
            fs.writeFileSync(file, text, { mode: 0o400 });
            fs.chmodSync(file, 0o400);
        }
        if (spec.tls) this.writeTls(spec.pod, spec.tls);
        this.map(spec.host, ip);

        const command = spec.kind === "haproxy"
            ? ["haproxy", "-db", "-f", configFile]
            : ["sh", path.join(this.scriptsDir, spec.kind === "redis" ? "start-redis.sh" : "start-sentinel.sh")];
        const [bin, ...args] = [
            ...unsharePrefix(), "sh", "-c", 'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"',
            this.hostsFile, this.resolvFile, ...command,
        ];
        const program = spawnTracked(spec.pod, bin, args, {
            cwd: path.join(dir, "data"),
            env: {
                ...process.env, ...spec.env,
                POD_IP: ip, HOSTNAME: spec.pod,
                RD_CONFIG_DIR: path.join(dir, "config"), RD_SECRET_DIR: path.join(dir, "secret"), RD_DATA_DIR: path.join(dir, "data"),
                RD_TLS_DIR: this.tlsRoot(spec.pod), RD_TLS_CHECK_SECONDS: "1",
            },
        });
        const pod: RunningPod = { spec, ip, pid: program.pid, child: program.child, dir, output: program.output, exited: program.exited };
        this.running.push(pod);
        return pod;
    }

    /** The pod's view of PATHS.tls: its own certificate files are in `<this>/<pod>/`. */
    tlsRoot(pod: string): string {
        return path.join(this.podDir(pod), "tls");
    }

    /** Writes (or, for a renewal, replaces) a pod's certificate files, mode 0440 like the volume. */
    writeTls(pod: string, files: Record<string, string>): void {
        const dir = path.join(this.tlsRoot(pod), pod);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        for (const [file, text] of Object.entries(files)) {
            // Written aside and renamed, as the kubelet swaps a volume's files at once.
            fs.writeFileSync(path.join(dir, `.${file}.new`), text, { mode: 0o440 });
            fs.renameSync(path.join(dir, `.${file}.new`), path.join(dir, file));
        }
    }

    /** Runs the provider's probe script against a pod (`ready` or `alive`): exit code and output. */
    probe(pod: RunningPod, check: "ready" | "alive"): { code: number; output: string } {
        try {
            const output = execFileSync("sh", [path.join(this.scriptsDir, "probe.sh"), check, pod.spec.kind], {
                env: { ...process.env, POD_IP: pod.ip, HOSTNAME: pod.spec.pod, RD_SECRET_DIR: path.join(pod.dir, "secret"), RD_TLS_DIR: this.tlsRoot(pod.spec.pod) },
                encoding: "utf8", timeout: 10000, stdio: ["ignore", "pipe", "pipe"],
            });
            return { code: 0, output };
        } catch (err) {
            const e = err as { status?: number; stdout?: string; stderr?: string };
            return { code: e.status ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
        }
    }

    /** Waits until the pod's readiness probe (the provider's probe.sh) passes. */
    async ready(pod: RunningPod, timeoutMs = 15000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let last = "";
        while (Date.now() < deadline) {
            if (pod.exited()) throw new Error(`${pod.spec.pod} exited before it was ready:\n${pod.output()}`);
            const r = this.probe(pod, "ready");
            if (r.code === 0) return;
            last = r.output;
            await sleep(100);
        }
        throw new Error(`${pod.spec.pod} not ready within ${timeoutMs} ms (probe: ${last})\n${pod.output()}`);
    }

    /** Waits until a TCP port accepts connections (HAProxy has no probe script). */
    async listening(pod: RunningPod, port: number, timeoutMs = 10000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (pod.exited()) throw new Error(`${pod.spec.pod} exited:\n${pod.output()}`);
            const ok = await new Promise<boolean>((resolve) => {
                const s = net.connect({ host: pod.ip, port }, () => { s.destroy(); resolve(true); });
                s.on("error", () => resolve(false));
            });
            if (ok) return;
            await sleep(50);
        }
        throw new Error(`${pod.spec.pod} does not listen on ${pod.ip}:${port}\n${pod.output()}`);
    }

    /** Stops a pod: SIGTERM (Redis saves and exits, like a pod deletion), SIGKILL after 5 s. */
    async stop(pod: RunningPod, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        if (pod.exited()) return;
        const gone = new Promise<void>((resolve) => pod.child.once("close", () => resolve()));
        try { process.kill(pod.pid, signal); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(pod.pid, "SIGKILL"); } catch { /* gone */ } }, 5000);
        await gone;
        clearTimeout(timer);
    }

    async cleanup(): Promise<void> {
        await Promise.all(this.running.map((p) => this.stop(p, "SIGKILL")));
        if (this.dns) await new Promise<void>((resolve) => this.dns!.close(() => resolve()));
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------
// The fake API server.

interface WsLike {
    send(data: Buffer): void;
    close(): void;
    on(event: "message", listener: (data: Buffer) => void): void;
    on(event: "close", listener: () => void): void;
}
interface WsServerLike {
    handleUpgrade(req: import("http").IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsLike) => void): void;
    close(): void;
}

export interface ApiRequest {
    method: string;
    path: string;
    status: number;
}

/**
 * HTTPS on 127.KUBE_BLOCK.0.1 with a self-signed certificate (trusted through the kubeconfig's
 * certificate-authority-data) and a bearer token. Serves GET /api/v1/namespaces/<ns>/pods/<pod>
 * and the port-forward upgrade on .../portforward?ports=<p>, speaking v4.channel.k8s.io: the
 * first frame of each channel is the port (2 bytes, little endian), data on channel 0, errors on
 * channel 1, closed when the pod side closes.
 */
export class FakeKubeApi {
    readonly token = crypto.randomBytes(16).toString("hex");
    readonly address = `127.${KUBE_BLOCK}.0.1`;
    /** `<namespace>/<pod>` -> IP. */
    readonly pods = new Map<string, string>();
    /** Pods whose port-forward the API refuses with 403 (RBAC). */
    readonly forbidden = new Set<string>();
    readonly requests: ApiRequest[] = [];
    private server?: https.Server;
    private wss?: WsServerLike;
    private readonly tunnels = new Set<{ ws: WsLike; tcp: net.Socket }>();
    port = 0;
    /** Made in start(), removed in stop(). */
    private dir = "";
    private cert = "";

    setPod(namespace: string, pod: string, ip: string): void {
        this.pods.set(`${namespace}/${pod}`, ip);
    }

    forwardsTo(pod: string): number {
        return this.requests.filter((r) => r.path.includes(`/pods/${pod}/portforward`) && r.status === 101).length;
    }

    async start(): Promise<void> {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-kubeapi-"));
        execFileSync("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=fake-kube-apiserver",
            "-addext", `subjectAltName=IP:${this.address}`,
            "-keyout", path.join(this.dir, "key.pem"), "-out", path.join(this.dir, "cert.pem"),
        ], { stdio: "ignore" });
        this.cert = fs.readFileSync(path.join(this.dir, "cert.pem"), "utf8");
        const { WebSocketServer } = require("ws") as { WebSocketServer: new (o: object) => WsServerLike };
        this.wss = new WebSocketServer({
            noServer: true,
            handleProtocols: (protocols: Set<string>) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false),
        });
        this.server = https.createServer({ key: fs.readFileSync(path.join(this.dir, "key.pem")), cert: this.cert }, (req, res) => this.http(req, res));
        this.server.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
        await new Promise<void>((resolve, reject) => {
            this.server!.once("error", reject);
            this.server!.listen(0, this.address, () => resolve());
        });
        this.port = (this.server.address() as net.AddressInfo).port;
    }

    /** A kubeconfig file for this server (JSON is YAML), with `context` as its current context. */
    writeKubeconfig(namespace: string, context = "fake", token = this.token): string {
        const file = path.join(this.dir, `kubeconfig-${context}-${token.slice(0, 6)}.json`);
        fs.writeFileSync(file, JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "fake", cluster: { server: `https://${this.address}:${this.port}`, "certificate-authority-data": Buffer.from(this.cert).toString("base64") } }],
            users: [{ name: "fake", user: { token } }],
            contexts: [{ name: context, context: { cluster: "fake", user: "fake", namespace } }],
            "current-context": context,
        }), { mode: 0o600 });
        return file;
    }

    private authorized(req: import("http").IncomingMessage): boolean {
        return req.headers.authorization === `Bearer ${this.token}`;
    }

    private http(req: import("http").IncomingMessage, res: import("http").ServerResponse): void {
        const url = new URL(req.url ?? "/", "https://fake");
        const reply = (status: number, body: object) => {
            this.requests.push({ method: req.method ?? "GET", path: url.pathname, status });
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(body));
        };
        const status = (code: number, reason: string, message: string) => reply(code, { kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code });
        if (!this.authorized(req)) return status(401, "Unauthorized", "Unauthorized");
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
        if (req.method !== "GET" || !m) return status(404, "NotFound", "the server could not find the requested resource");
        const ip = this.pods.get(`${m[1]}/${m[2]}`);
        if (!ip) return status(404, "NotFound", `pods "${m[2]}" not found`);
        return reply(200, { apiVersion: "v1", kind: "Pod", metadata: { name: m[2], namespace: m[1] }, status: { phase: "Running", podIP: ip } });
    }

    private upgrade(req: import("http").IncomingMessage, socket: Duplex, head: Buffer): void {
        const url = new URL(req.url ?? "/", "https://fake");
        const refuse = (code: number, text: string) => {
            this.requests.push({ method: "UPGRADE", path: url.pathname, status: code });
            socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n`);
        };
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
        if (!this.authorized(req)) return refuse(401, "Unauthorized");
        if (!m) return refuse(404, "Not Found");
        if (this.forbidden.has(m[2])) return refuse(403, "Forbidden");
        const ip = this.pods.get(`${m[1]}/${m[2]}`);
        const port = Number(url.searchParams.get("ports"));
        if (!ip) return refuse(404, "Not Found");
        if (!Number.isInteger(port) || port <= 0) return refuse(400, "Bad Request");
        this.wss!.handleUpgrade(req, socket, head, (ws) => {
            this.requests.push({ method: "UPGRADE", path: url.pathname, status: 101 });
            const portBytes = Buffer.alloc(2);
            portBytes.writeUInt16LE(port);
            ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
            ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
            const tcp = net.connect({ host: ip, port });
            const tunnel = { ws, tcp };
            this.tunnels.add(tunnel);
            tcp.on("data", (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
            tcp.on("error", (e) => {
                ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port} to pod ${m[2]}: ${e.message}`)]));
                ws.close();
            });
            tcp.on("close", () => { this.tunnels.delete(tunnel); ws.close(); });
            ws.on("message", (data: Buffer) => {
                const b = Buffer.from(data);
                if (b[0] === 0 && b.length > 1) tcp.write(b.subarray(1));
            });
            ws.on("close", () => tcp.end());
        });
    }

    /** Open port-forward sessions right now. */
    openTunnels(): number {
        return this.tunnels.size;
    }

    async stop(): Promise<void> {
        for (const t of this.tunnels) t.tcp.destroy();
        this.wss?.close();
        if (this.server) {
            this.server.closeAllConnections();
            await new Promise<void>((resolve) => this.server!.close(() => resolve()));
        }
        if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
