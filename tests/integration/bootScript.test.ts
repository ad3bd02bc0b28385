// The VM boot script run for real, into a temporary root (RD_ROOT), with the system commands it
// calls (apt-get, systemctl, sysctl, ip, blkid, mkfs.ext4, mount, chown, aws, curl, ...) replaced
// by stubs on PATH that log their arguments and play the VM: a disk that is empty until
// formatted, secrets answered from files (AWS SSM parameters; GCP Secret Manager behind a
// metadata-server token; Azure Key Vault behind an IMDS token), the user data from the instance
// metadata service, alias IPs that are local once listed (GCP). The sentinel case and
// the TLS case (each node's key from the cloud's own secret store) run for every cloud's hooks
// (AWS, GCP, Azure). What it writes is then used as is: real redis-server,
// redis-sentinel and haproxy start on (or check) the configs. Processes run on 127.60-69.x.y
// (GCP cases on 127.50-54.x.y, Azure cases on 127.55-59.x.y) and are killed by pid after each
// test, also on failure.
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import type { RedisDeploymentArgs } from "../../components/args";
import { passwordHash, storedSecretValue } from "../../components/config/users";
import { plan } from "../../components/plan";
import { ADMIN_USER, MONITOR_USER, STORED_SECRETS, type AddressedMember, type Credentials, type StoredSecret, type TopologyPlan } from "../../components/types";
import { validateArgs } from "../../components/validate";
import { awsBootHooks } from "../../providers/aws/boot";
import { AZURE_LAUNCHER, azureBootHooks, azureDiskDevices, encodeAzureUserData, keyVaultSecretUrl } from "../../providers/azure/boot";
import { gcpBootHooks, gcpDiskDevices } from "../../providers/gcp/boot";
import { VM_PATHS, renderBootScript, type CloudHooks, type VmScheduledJob } from "../../providers/vm/bootScript";
import { parseStoreUri, type StoreLocation } from "../../components/backup";
import { BACKUP_JOB_PACKAGES, BACKUP_PASSWORD_FILE, backupJobEnvironment, backupTlsVariables, renderBackupScript } from "../../components/config/backupScript";
import { vmJobTlsFiles } from "../../providers/vm/bootScript/tlsFiles";
import { connectDirect } from "../../bootstrap/access/direct";
import { issueAll } from "../../bootstrap/tlsCertificates";
import { TLS_FILES } from "../../components/tls";
import { secretFileParameter } from "../../providers/aws/secretFiles";
import { planHosts, type PlacedHost } from "../../providers/vm/layout";
import { secretRefs } from "../../providers/vm/secrets";
import { httpGet } from "../helpers/http";
import { plaintextPing } from "../helpers/tls";
import {
    ProgramRunner, ReplyError, command, infoField, runTcpCheck, tcpCheckSteps, waitForPing, waitUntil, type Program,
} from "../helpers/realPrograms";

let nextGroup = crypto.randomInt(0, 200);
const REGION = "eu-central-1";
const PREFIX = "/redis-deployment/itest";
const REFS = secretRefs(STORED_SECRETS, (name) => `${PREFIX}/${name}`);
const GCP_REFS = secretRefs(STORED_SECRETS, (name) => `projects/itest/secrets/rd-${name}`);
const GCP_TOKEN = "ya29.stub-token";
const hex = () => crypto.randomBytes(20).toString("hex");
const VAULT_URI = "https://rd-itest-0a1b2c3d.vault.azure.net/";
const CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const IMDS_TOKEN = "imds-token-for-key-vault";

type Cloud = "aws" | "gcp" | "azure";
/** Per cloud: its hooks, where its secrets live, and where a member's disk shows up. */
interface CloudCase {
    /** Loopback block of its processes: each cloud's cases have their own, so suites running in parallel never share addresses. */
    block: string;
    hooks: CloudHooks;
    refs: Record<StoredSecret, string>;
    /** Device paths of a member's disk, most stable first; the first one is created in the test root. */
    disk: (member: string, index: number) => string[];
    /** The secret references the stub log shows were read, in order. */
    secretsRead: (log: string[]) => string[];
    /** Where a node's TLS key is in the store (what the provider's storeSecretFile returns as its ref). */
    tlsKeyRef: (node: string) => string;
    packages: string;
}
const CLOUDS: Record<Cloud, CloudCase> = {
    aws: {
        block: `127.${60 + crypto.randomInt(0, 10)}`,
        hooks: awsBootHooks(REGION),
        refs: REFS,
        disk: (member) => [`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol${member}`, "/dev/xvdf"],
        secretsRead: (log) => log.filter((l) => l.startsWith("aws ")).map((l) => /--name (\S+)/.exec(l)![1]),
        tlsKeyRef: (node) => secretFileParameter(PREFIX, node, TLS_FILES.key),
        packages: "awscli curl",
    },
    gcp: {
        block: `127.${50 + crypto.randomInt(0, 5)}`,
        hooks: gcpBootHooks(),
        refs: GCP_REFS,
        disk: (member) => gcpDiskDevices(member),
        secretsRead: (log) => log.filter((l) => l.includes("secretmanager.googleapis.com")).map((l) => /\/v1\/(\S+)\/versions\/latest:access$/.exec(l)![1]),
        // storeGcpSecretFile: `<secretPrefix>-tls-<node>-node-key`, referenced by its full name.
        tlsKeyRef: (node) => `projects/itest/secrets/rd-tls-${node}-node-key`,
        packages: "curl",
    },
    azure: {
        block: `127.${55 + crypto.randomInt(0, 5)}`,
        hooks: azureBootHooks(CLIENT_ID, VAULT_URI),
        refs: secretRefs(STORED_SECRETS, (name) => keyVaultSecretUrl(VAULT_URI, name)),
        disk: (_member, lun) => azureDiskDevices(lun),
        secretsRead: (log) => log.filter((l) => l.startsWith("curl ") && l.includes("/secrets/")).map((l) => /(https:\S+)\?api-version/.exec(l)![1]),
        // storeAzureSecretFile: `tls-<node>-node-key` in the deployment's vault.
        tlsKeyRef: (node) => keyVaultSecretUrl(VAULT_URI, `tls-${node}-node-key`),
        packages: "curl jq",
    },
};
/** Where the stubs keep a secret (in $RD_STUB_DIR/secrets): its reference with "/" and ":" as "_". */
const secretFile = (ref: string) => ref.replace(/[/:]/g, "_");

/** Stubs for every system command the script runs; each logs "name args" to $RD_STUB_LOG. */
const STUBS: Record<string, string> = {
    "apt-get": "exit 0",
    "dpkg-query": "exit 1",
    systemctl: "exit 0",
    sysctl: "exit 0",
    chown: "exit 0",
    mount: "exit 0",
    resize2fs: "exit 0",
    mountpoint: "exit 1",
    ip: `case "$*" in
  "-o -4 route show to default") echo "default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100" ;;
  "-o -4 addr show dev eth0") cat "$RD_STUB_DIR/addresses" 2>/dev/null || true ;;
  # Local once listed in local-routes (what GCP's guest agent does for alias IPs).
  "-4 -o route get "*) if grep -qxF -- "\${*: -1}" "$RD_STUB_DIR/local-routes" 2>/dev/null; then echo "local \${*: -1} dev eth0 table local src 10.0.0.5 uid 0"; else echo "\${*: -1} via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0"; fi ;;
esac`,
    // A disk is "formatted" once it holds the marker mkfs.ext4 writes.
    blkid: `dev=\${*: -1}
if [ -n "\${RD_STUB_FSTYPE:-}" ]; then echo "$RD_STUB_FSTYPE"; exit 0; fi
if grep -q RD-TEST-EXT4 "$dev" 2>/dev/null; then echo ext4; exit 0; fi
exit 2`,
    "mkfs.ext4": `echo RD-TEST-EXT4 >> "\${*: -1}"`,
    // SSM: the value of --name from $RD_STUB_DIR/secrets/<name with / as _>.
    aws: `name=''
while [ $# -gt 0 ]; do if [ "$1" = --name ]; then name=$2; fi; shift; done
file="$RD_STUB_DIR/secrets/$(printf '%s' "$name" | tr / _)"
if [ -f "$file" ]; then cat "$file"; echo; else echo "An error occurred (ParameterNotFound): $name" >&2; exit 254; fi`,
    // AWS IMDS: a token, then the user data from $RD_STUB_DIR/user-data. GCP: the metadata
    // server's token, then Secret Manager's access answer (base64 payload) for that token only.
    // Azure IMDS: a token for Key Vault (only with Metadata:true and this VM's identity), the user
    // data as base64; Key Vault: the secret as JSON, only for the IMDS token sent on stdin.
    // Secrets are files in $RD_STUB_DIR/secrets (see secretFile).
    curl: `url=\${*: -1}
case "$*" in
  *api/token*) echo token ;;
  *user-data*) cat "$RD_STUB_DIR/user-data" ;;
  *"-H Metadata-Flavor: Google "*/service-accounts/default/token) echo '{"access_token":"${GCP_TOKEN}","expires_in":3599,"token_type":"Bearer"}' ;;
  *"-H Authorization: Bearer ${GCP_TOKEN} https://secretmanager.googleapis.com/v1/projects/"*/versions/latest:access)
    ref=\${url#https://secretmanager.googleapis.com/v1/}; ref=\${ref%/versions/latest:access}; secret=\${ref##*/}
    file="$RD_STUB_DIR/secrets/$(printf '%s' "$ref" | tr '/:' '__')"
    if [ -f "$file" ]; then printf '{\n  "name": "projects/123/secrets/%s/versions/1",\n  "payload": {\n    "data": "%s",\n    "dataCrc32c": "42"\n  }\n}\n' "$secret" "$(base64 -w0 "$file")"; else exit 22; fi ;;
  *"-H Metadata:true"*oauth2/token*"resource=https%3A%2F%2Fvault.azure.net&client_id=${CLIENT_ID}"*) echo '{"access_token":"${IMDS_TOKEN}","token_type":"Bearer"}' ;;
  *"-H Metadata:true"*compute/userData*) base64 -w0 "$RD_STUB_DIR/user-data" ;;
  *"-H @-"*/secrets/*)
    [ "$(cat)" = "Authorization: Bearer ${IMDS_TOKEN}" ] || { echo "401" >&2; exit 22; }
    file="$RD_STUB_DIR/secrets/$(printf '%s' "\${url%%\\?*}" | tr '/:' '__')"
    if [ -f "$file" ]; then printf '{"value":"%s","id":"%s"}' "$(cat "$file")" "\${url%%\\?*}"; else exit 22; fi ;;
  *) exit 22 ;;
esac`,
};

interface Vm {
    host: PlacedHost;
    script: string;
    root: string;
    stubs: string;
    scriptFile: string;
}

interface RunResult {
    status: number | null;
    stderr: string;
    log: string[];
}

describe("VM boot script, run into a temporary root", function () {
    this.timeout(120000);
    const runner = new ProgramRunner();
    let credentials: Credentials;
    let work: string;
    /** The certificates the last render issued (TLS cases). */
    let lastTls: ReturnType<typeof issueAll> | undefined;

    beforeEach(() => {
        credentials = { password: `app-${hex()}`, adminPassword: `adm-${hex()}`, monitorPassword: `mon-${hex()}` };
        work = runner.tempDir("bootscript");
    });
    afterEach(async () => {
        await runner.cleanup();
    });

    /** A systemd unit's ExecStart, split into the command and its arguments (quotes removed). */
    function execStartOf(unit: string): string[] {
        return /^ExecStart=(.*)$/m.exec(unit)![1].split(" ").map((a) => a.replace(/^"|"$/g, ""));
    }

    /** Starts an exporter unit's command line as written (its paths under the VM's temporary root); its metrics once it reports redis_up 1. */
    async function runExporterAsWritten(vm: Vm, execStart: string[], address: string): Promise<string> {
        const exporter = runner.start("exporter", execStart[0], execStart.slice(1).map((a) => (a.startsWith(VM_PATHS.etc) ? path.join(vm.root, a) : a)));
        let metrics = "";
        await waitUntil("the exporter's redis_up 1", async () => {
            metrics = (await httpGet(`http://${address}:9121/metrics`).catch(() => ({ body: "" }))).body;
            return /^redis_up 1$/m.test(metrics);
        }, 15000).catch((e: Error) => { throw new Error(`${e.message}\n${exporter.output()}`); });
        return metrics;
    }

    /** Renders every host's script for `args`, nodes on 127.6x.<group>.<10+n>. */
    function render(args: RedisDeploymentArgs, name = "itest", cloudName: Cloud = "aws", scheduledJobs?: (members: AddressedMember[]) => VmScheduledJob[]): { plan: TopologyPlan; vms: Vm[] } {
        const cloud = CLOUDS[cloudName];
        const p = plan(validateArgs(name, { provider: "aws", zones: ["a", "b", "c"], maxmemory: "64mb", ...args }));
        const group = nextGroup++ % 250;
        const { block } = cloud;
        let n = 10;
        const placed: PlacedHost[] = planHosts(p).map((host) => {
            const nodes = [...host.members, ...host.sentinels, ...host.proxies].map((x) => x.name);
            return {
                host, subnet: { id: "subnet-test", zone: host.zone, cidr: "127.0.0.0/8" }, hostAddress: `${block}.${group}.${n++}`,
                nodeAddresses: Object.fromEntries(nodes.map((x) => [x, `${block}.${group}.${n++}`])),
            };
        });
        const allMembers: AddressedMember[] = p.members.map((m) => ({ ...m, address: placed.find((h) => h.nodeAddresses[m.name])!.nodeAddresses[m.name] }));
        // With TLS: certificates for the nodes' addresses, keys in the stubs' secret store (base64, as the providers store them).
        const nodeAddresses = placed.flatMap((h) => Object.entries(h.nodeAddresses));
        const issued = p.args.tls.enabled
            ? issueAll({ deployment: name, clientAuth: p.args.tls.clientAuth, validityDays: 30, renewBeforeDays: 7, nodes: nodeAddresses.map(([n, a]) => ({ name: n, names: [a] })) })
            : undefined;
        lastTls = issued;
        const keyRef = cloud.tlsKeyRef;
        const tls = issued && {
            ca: issued.caCertificate,
            certificates: Object.fromEntries(nodeAddresses.map(([n]) => [n, issued.issued[n].certificate])),
            keyRefs: Object.fromEntries(nodeAddresses.map(([n]) => [n, keyRef(n)])),
        };
        const vms = placed.map((host) => {
            const script = renderBootScript({
                plan: p, placed: host, allMembers, secretRefs: cloud.refs, hooks: cloud.hooks,
                disks: Object.fromEntries(host.host.members.map((m, i) => [m.name, cloud.disk(m.name, i)])),
                ...(scheduledJobs && host.host.members.some((m) => m.index === 0) ? { scheduledJobs: scheduledJobs(allMembers) } : {}),
                ...(tls ? { tls } : {}),
            });
            const dir = path.join(work, host.host.name);
            const root = path.join(dir, "root");
            const stubs = path.join(dir, "stubs");
            for (const d of [root, stubs, path.join(stubs, "secrets"), path.join(root, "dev/disk/by-id"), path.join(root, "sys/kernel/mm/transparent_hugepage")]) fs.mkdirSync(d, { recursive: true });
            for (const [cmd, body] of Object.entries(STUBS)) {
                fs.writeFileSync(path.join(stubs, cmd), `#!/bin/bash\nprintf '%s\\n' "${cmd} $*" >> "$RD_STUB_LOG"\n${body}\n`, { mode: 0o755 });
            }
            for (const [key, ref] of Object.entries(cloud.refs)) fs.writeFileSync(path.join(stubs, "secrets", secretFile(ref)), storedSecretValue(credentials, key as StoredSecret));
            for (const [node, pair] of Object.entries(issued?.issued ?? {})) fs.writeFileSync(path.join(stubs, "secrets", secretFile(keyRef(node))), Buffer.from(pair.key).toString("base64"));
            host.host.members.forEach((m, i) => {
                const device = path.join(root, cloud.disk(m.name, i)[0]);
                fs.mkdirSync(path.dirname(device), { recursive: true });
                fs.writeFileSync(device, "");
            });
            for (const f of ["enabled", "defrag"]) fs.writeFileSync(path.join(root, "sys/kernel/mm/transparent_hugepage", f), "[always] madvise never\n");
            const scriptFile = path.join(dir, "user-data.sh");
            fs.writeFileSync(scriptFile, script, { mode: 0o700 });
            return { host, script, root, stubs, scriptFile };
        });
        return { plan: p, vms };
    }

    /** Runs a script the way cloud-init would (as a file), with the stubs first on PATH. */
    function boot(vm: Vm, options: { file?: string; args?: string[]; env?: Record<string, string> } = {}): RunResult {
        const logFile = path.join(vm.stubs, "log");
        fs.writeFileSync(logFile, "");
        const result = spawnSync("bash", [options.file ?? vm.scriptFile, ...(options.args ?? [])], {
            encoding: "utf8",
            timeout: 60000,
            env: {
                ...process.env, PATH: `${vm.stubs}:${process.env.PATH}`, RD_ROOT: vm.root, RD_STUB_LOG: logFile, RD_STUB_DIR: vm.stubs,
                RD_SECRET_ATTEMPTS: "1", RD_DISK_TIMEOUT: "4", ...options.env,
            },
        });
        return { status: result.status, stderr: result.stderr, log: fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean) };
    }

    const vmOf = (vms: Vm[], node: string) => vms.find((v) => v.host.nodeAddresses[node] !== undefined)!;
    const addressOf = (vms: Vm[], node: string) => vmOf(vms, node).host.nodeAddresses[node];
    const memberConf = (vm: Vm, member: string) => path.join(vm.root, VM_PATHS.data, member, "redis.conf");
    const admin = () => ({ user: ADMIN_USER, password: credentials.adminPassword });

    function startRedis(vm: Vm, member: string, extra: string[] = []): Program {
        return runner.start(member, "redis-server", [memberConf(vm, member), ...extra]);
    }

    /** What GCP's guest agent does after boot: every alias IP of the VM becomes a local route. */
    function aliasRoutesUp(vm: Vm, extra: string[] = []): void {
        fs.writeFileSync(path.join(vm.stubs, "local-routes"), [...Object.values(vm.host.nodeAddresses), ...extra].join("\n") + "\n");
    }

    // The clouds whose boot script adds the node addresses and installs its own boot unit (AWS,
    // Azure); GCP's guest agent does both, its sentinel case is under "GCP" below.
    const selfBooting = (Object.keys(CLOUDS) as Cloud[]).filter((c) => CLOUDS[c].hooks.addAddresses && !CLOUDS[c].hooks.runByCloudAtEveryBoot);
    for (const cloudName of selfBooting) it(`${cloudName}: sentinel 1+1: prepares each VM and writes configs that redis-server, redis-sentinel and haproxy accept`, async () => {
        const cloud = CLOUDS[cloudName];
        // Booted during phase 1 of a rotation of the application password: the store holds the retiring one too.
        credentials.retiring = { password: `old-${hex()}` };
        const { vms } = render({ mode: "sentinel", replicasPerShard: 1, sentinels: 3 }, "itest", cloudName);
        for (const vm of vms) {
            const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", vm.scriptFile], { encoding: "utf8" });
            assert.equal(lint.status, 0, `${vm.host.host.name}: shellcheck:\n${lint.stdout}${lint.stderr}`);
        }
        const master = "itest-s0-m0";
        const replica = "itest-s0-m1";
        const results = new Map(vms.map((vm) => [vm.host.host.name, boot(vm)]));
        for (const [host, r] of results) assert.equal(r.status, 0, `${host} failed:\n${r.stderr}`);

        // The host preparation, as the stubs saw it.
        const m0 = vmOf(vms, master);
        const log = results.get(master)!.log;
        const sysctlFile = path.join(m0.root, "etc/sysctl.d/60-redis-deployment.conf");
        assert.match(fs.readFileSync(sysctlFile, "utf8"), /net\.core\.somaxconn = 1024\nnet\.ipv4\.tcp_max_syn_backlog = 1024\nvm\.overcommit_memory = 1\n/);
        assert.ok(log.includes(`sysctl -q -p ${sysctlFile}`));
        for (const f of ["enabled", "defrag"]) assert.equal(fs.readFileSync(path.join(m0.root, "sys/kernel/mm/transparent_hugepage", f), "utf8"), "never\n");
        assert.ok(log.includes(`ip addr add ${addressOf(vms, master)}/32 dev eth0`), log.join("\n"));
        assert.ok(log.includes(`apt-get -q install -y --no-install-recommends redis-server ${cloud.packages}`), log.join("\n"));
        assert.ok(!fs.existsSync(path.join(m0.root, "usr/sbin/policy-rc.d")), "policy-rc.d removed after the install");
        assert.ok(log.includes("systemctl mask --now redis-server.service"));
        const device = path.join(m0.root, cloud.disk(master, 0)[0]);
        assert.ok(log.includes(`mkfs.ext4 -q -m 0 -L rd-data ${device}`), "the empty disk is formatted");
        assert.ok(log.includes(`mount -t ext4 -o noatime ${device} ${path.join(m0.root, VM_PATHS.data, master)}`));
        assert.ok(log.indexOf(`mkfs.ext4 -q -m 0 -L rd-data ${device}`) < log.indexOf(`systemctl start redis-deployment-${master}.service`));
        assert.deepEqual(cloud.secretsRead(log), STORED_SECRETS.map((k) => cloud.refs[k]), "a member reads every password and every retiring one");
        assert.ok(log.every((l) => !l.includes(credentials.password) && !l.includes(credentials.adminPassword)), "no secret on a command line");

        // Units and the boot service.
        const unit = fs.readFileSync(path.join(m0.root, `etc/systemd/system/redis-deployment-${master}.service`), "utf8");
        assert.match(unit, new RegExp(`^ExecStart=/usr/bin/redis-server /var/lib/redis-deployment/${master}/redis.conf$`, "m"));
        assert.match(unit, /^User=redis$/m);
        assert.match(unit, /^Restart=always$/m);
        assert.ok(fs.readFileSync(path.join(m0.root, "etc/systemd/system/redis-deployment-boot.service"), "utf8").includes("ExecStart=/bin/bash /usr/local/sbin/redis-deployment-boot --refresh"));
        assert.ok(log.includes("systemctl enable redis-deployment-boot.service"));
        assert.equal(fs.readFileSync(path.join(m0.root, VM_PATHS.self), "utf8"), m0.script, "the boot script installed itself");
        const sentinelVm = vmOf(vms, "itest-sentinel0");
        assert.match(fs.readFileSync(path.join(sentinelVm.root, "etc/systemd/system/redis-deployment-itest-sentinel0.service"), "utf8"), /^ExecStart=\/usr\/bin\/redis-sentinel \/var\/lib\/redis-deployment\/itest-sentinel0\/sentinel.conf$/m);
        assert.deepEqual([...cloud.secretsRead(results.get("itest-sentinel0")!.log)].sort(), [cloud.refs.password, cloud.refs.adminPassword, cloud.refs.retiringPassword, cloud.refs.retiringAdminPassword].sort(), "a sentinel reads the application password (its clients' user) and the admin password (rd-admin: bootstrap, peers) and their retiring ones, not the monitor password");
        assert.ok(log.every((l) => !l.includes(IMDS_TOKEN)), "the Key Vault token never on a command line");

        // Every unit file is one systemd accepts (systemd-analyze verify reports unknown or bad settings).
        for (const vm of vms) {
            const dir = path.join(vm.root, "etc/systemd/system");
            const units = fs.readdirSync(dir).filter((f) => f.endsWith(".service"));
            assert.equal(units.length, 2, `${vm.host.host.name}: its node's unit and the boot unit`);
            const verify = spawnSync("systemd-analyze", ["verify", ...units.map((u) => path.join(dir, u))], { encoding: "utf8" });
            assert.equal(verify.status, 0, verify.stderr);
            assert.equal(verify.stderr.trim(), "", `${vm.host.host.name}: systemd-analyze verify:\n${verify.stderr}`);
        }

        // The configs: secrets in place, mode 0640, no placeholder left.
        const conf = fs.readFileSync(memberConf(m0, master), "utf8");
        assert.equal(fs.statSync(memberConf(m0, master)).mode & 0o777, 0o640);
        assert.ok(!conf.includes("@@RD_"), "no placeholder left");
        assert.ok(conf.includes(`masterauth ${credentials.adminPassword}\n`));
        assert.ok(conf.includes(`user default on #${passwordHash(credentials.password)} `));
        assert.ok(conf.includes(`dir ${path.join(m0.root, VM_PATHS.data, master)}\n`));
        assert.ok(!conf.includes("replicaof"), "the master replicates nobody");
        assert.ok(fs.readFileSync(memberConf(vmOf(vms, replica), replica), "utf8").includes(`replicaof ${addressOf(vms, master)} 6379\n`), "a new replica follows the planned master");

        // Real programs on what was written.
        const m = startRedis(m0, master);
        await waitForPing(m, addressOf(vms, master), 6379, admin());
        assert.equal(await command(addressOf(vms, master), 6379, { password: credentials.password }, ["PING"]), "PONG", "the application password works");
        assert.equal(await command(addressOf(vms, master), 6379, { password: credentials.retiring!.password! }, ["PING"]), "PONG", "booted during a rotation, it accepts the retiring password too");
        const denied = await command(addressOf(vms, master), 6379, { user: MONITOR_USER, password: credentials.monitorPassword }, ["GET", "x"]);
        assert.ok(denied instanceof ReplyError && denied.message.startsWith("NOPERM"), "the monitor user may not read data");
        const r = startRedis(vmOf(vms, replica), replica);
        await waitForPing(r, addressOf(vms, replica), 6379, admin());
        await waitUntil("the replica's link to the master", async () =>
            infoField(await command(addressOf(vms, replica), 6379, admin(), ["INFO", "replication"]), "master_link_status") === "up");

        const sentinelConf = path.join(sentinelVm.root, VM_PATHS.data, "itest-sentinel0", "sentinel.conf");
        const s = runner.start("sentinel", "redis-server", [sentinelConf, "--sentinel"]);
        await waitForPing(s, addressOf(vms, "itest-sentinel0"), 26379, { password: credentials.password });

        const proxyVm = vmOf(vms, "itest-proxy0");
        const cfg = path.join(proxyVm.root, VM_PATHS.etc, "itest-proxy0", "haproxy.cfg");
        const check = spawnSync("haproxy", ["-c", "-f", cfg], { encoding: "utf8" });
        assert.equal(check.status, 0, `haproxy -c: ${check.stdout}${check.stderr}`);
        // Its health check logs in with the real monitor password and finds the master.
        const steps = tcpCheckSteps(fs.readFileSync(cfg, "utf8"), "redis_master");
        assert.equal((await runTcpCheck(steps, addressOf(vms, master), 6379)).ok, true, "the master passes the write backend's check");
        assert.equal((await runTcpCheck(steps, addressOf(vms, replica), 6379)).ok, false, "the replica does not");
    });

    it("aws, metrics on: an exporter unit per member that systemd accepts; started as written, it logs in as rd-monitor and reports redis_up 1", async () => {
        const { vms } = render({ mode: "replication", replicasPerShard: 1, metrics: {} }, "imet");
        const member = "imet-s0-m0";
        const vm = vmOf(vms, member);
        const address = addressOf(vms, member);
        const result = boot(vm);
        assert.equal(result.status, 0, result.stderr);
        assert.ok(result.log.includes("systemctl mask --now prometheus-redis-exporter.service"), "the package's own exporter stays off");
        assert.ok(result.log.some((l) => l.startsWith("apt-get -q install -y --no-install-recommends redis-server") && l.includes("prometheus-redis-exporter")), result.log.join("\n"));
        assert.ok(result.log.indexOf(`systemctl start redis-deployment-${member}.service`) < result.log.indexOf(`systemctl start redis-deployment-${member}-exporter.service`), "the exporter starts after its member");
        const unitFile = path.join(vm.root, `etc/systemd/system/redis-deployment-${member}-exporter.service`);
        const unit = fs.readFileSync(unitFile, "utf8");
        assert.match(unit, /^User=prometheus$/m);
        const verify = spawnSync("systemd-analyze", ["verify", unitFile], { encoding: "utf8" });
        assert.equal(verify.stderr.trim(), "", `systemd-analyze verify:\n${verify.stderr}`);
        const passwordFile = path.join(vm.root, VM_PATHS.etc, `${member}-exporter`, "password.json");
        assert.equal(fs.statSync(passwordFile).mode & 0o777, 0o640);
        assert.deepEqual(JSON.parse(fs.readFileSync(passwordFile, "utf8")), { [`redis://${address}:6379`]: credentials.monitorPassword }, "the real monitor password, read from the store");

        // The unit's command line as written (its paths under the temporary root), on the member started from its config.
        const execStart = execStartOf(unit);
        assert.deepEqual(execStart, ["/usr/bin/prometheus-redis-exporter", "-redis.addr", `redis://${address}:6379`, "-redis.user", MONITOR_USER,
            "-redis.password-file", `${VM_PATHS.etc}/${member}-exporter/password.json`, "-web.listen-address", `${address}:9121`]);
        const m = startRedis(vm, member);
        await waitForPing(m, address, 6379, admin());
        const metrics = await runExporterAsWritten(vm, execStart, address);
        assert.match(metrics, /^redis_instance_info\{.*role="master".*\} 1$/m);
        // What the exporter was refused, in Redis' own ACL log: only what rd-monitor must not do.
        const refused = await command(address, 6379, admin(), ["ACL", "LOG"]) as unknown as unknown[][];
        const objects = [...new Set(refused.map((entry) => String(entry[entry.indexOf("object") + 1])))].sort();
        assert.deepEqual(objects, ["config|get", "slowlog|get"]);
    });

    it("aws, metrics with TLS (clientAuth required): the exporter gets a copy of its node's certificate files it may read; started as written, it reports redis_up 1 over TLS", async () => {
        const { vms } = render({ mode: "replication", replicasPerShard: 1, metrics: {}, tls: { enabled: true, clientAuth: "required" } }, "imtl");
        const tls = lastTls!;
        const member = "imtl-s0-m0";
        const vm = vmOf(vms, member);
        const address = addressOf(vms, member);
        const result = boot(vm);
        assert.equal(result.status, 0, result.stderr);
        const copy = path.join(vm.root, VM_PATHS.etc, `${member}-exporter`, "tls");
        assert.equal(fs.statSync(copy).mode & 0o777, 0o750);
        assert.ok(result.log.includes(`chown root:prometheus ${copy}`), "the directory is the prometheus group's");
        const want: Record<string, string> = { "ca.crt": tls.caCertificate, "node.crt": tls.issued[member].certificate, "node.key": tls.issued[member].key };
        for (const [file, contents] of Object.entries(want)) {
            assert.equal(fs.statSync(path.join(copy, file)).mode & 0o777, 0o640, file);
            assert.equal(fs.readFileSync(path.join(copy, file), "utf8").trim(), contents.trim(), `${file}: the node's own`);
            assert.ok(result.log.includes(`chown root:prometheus ${path.join(copy, file)}.rd-new`), `${file}: readable by the prometheus group only`);
        }
        const unit = fs.readFileSync(path.join(vm.root, `etc/systemd/system/redis-deployment-${member}-exporter.service`), "utf8");
        const execStart = execStartOf(unit);
        const dir = `${VM_PATHS.etc}/${member}-exporter/tls`;
        assert.deepEqual(execStart, ["/usr/bin/prometheus-redis-exporter", "-redis.addr", `rediss://${address}:6379`, "-redis.user", MONITOR_USER,
            "-redis.password-file", `${VM_PATHS.etc}/${member}-exporter/password.json`, "-web.listen-address", `${address}:9121`,
            "-tls-ca-cert-file", `${dir}/ca.crt`, "-tls-client-cert-file", `${dir}/node.crt`, "-tls-client-key-file", `${dir}/node.key`]);
        const passwordFile = path.join(vm.root, VM_PATHS.etc, `${member}-exporter`, "password.json");
        assert.deepEqual(JSON.parse(fs.readFileSync(passwordFile, "utf8")), { [`rediss://${address}:6379`]: credentials.monitorPassword });

        const m = startRedis(vm, member);
        const clientTls = { ca: tls.caCertificate, certificate: tls.client!.certificate, key: tls.client!.key };
        await waitUntil("the member answers over TLS", async () => {
            if (m.exited()) throw new Error(m.output());
            const client = await connectDirect({ address, port: 6379 }, admin(), clientTls).catch(() => undefined);
            if (!client) return false;
            client.disconnect();
            return true;
        }, 15000);
        const metrics = await runExporterAsWritten(vm, execStart, address);
        assert.match(metrics, /^redis_instance_info\{.*role="master".*\} 1$/m);
    });

    it("at a later boot: formats nothing, keeps the role Redis wrote (after a failover) and the Sentinel's own state", async () => {
        const { vms } = render({ mode: "sentinel", replicasPerShard: 1, sentinels: 3 });
        const [master, replica] = ["itest-s0-m0", "itest-s0-m1"];
        for (const vm of vms) assert.equal(boot(vm).status, 0);
        const m = startRedis(vmOf(vms, master), master);
        const r = startRedis(vmOf(vms, replica), replica);
        await waitForPing(m, addressOf(vms, master), 6379, admin());
        await waitForPing(r, addressOf(vms, replica), 6379, admin());
        // A failover: the replica is master now, the old master its replica; both persist it.
        assert.equal(await command(addressOf(vms, replica), 6379, admin(), ["REPLICAOF", "NO", "ONE"]), "OK");
        assert.equal(await command(addressOf(vms, master), 6379, admin(), ["REPLICAOF", addressOf(vms, replica), "6379"]), "OK");
        for (const n of [master, replica]) assert.equal(await command(addressOf(vms, n), 6379, admin(), ["CONFIG", "REWRITE"]), "OK");
        const sentinelVm = vmOf(vms, "itest-sentinel0");
        const sentinelConf = path.join(sentinelVm.root, VM_PATHS.data, "itest-sentinel0", "sentinel.conf");
        fs.appendFileSync(sentinelConf, "# state written by sentinel\n");

        // The interface already has the member's address (a re-run in the same boot): not added twice.
        const m0vm = vmOf(vms, master);
        fs.writeFileSync(path.join(m0vm.stubs, "addresses"), `2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n2: eth0    inet ${addressOf(vms, master)}/32 scope global eth0\n`);
        const again = new Map(vms.map((vm) => [vm.host.host.name, boot(vm)]));
        assert.ok(!again.get(master)!.log.some((l) => l.startsWith("ip addr add")), "an address already there is not added again");
        assert.ok(again.get(replica)!.log.includes(`ip addr add ${addressOf(vms, replica)}/32 dev eth0`), "(the check sees additions)");
        for (const [host, res] of again) assert.equal(res.status, 0, `${host}: ${res.stderr}`);
        assert.ok(!again.get(master)!.log.some((l) => l.startsWith("mkfs")), "a formatted disk is never formatted again");
        const oldMaster = fs.readFileSync(memberConf(vmOf(vms, master), master), "utf8");
        assert.ok(oldMaster.includes(`\nreplicaof ${addressOf(vms, replica)} 6379\n`), "the old master stays a replica");
        assert.ok(!fs.readFileSync(memberConf(vmOf(vms, replica), replica), "utf8").includes("replicaof"), "the new master is not sent back to the planned one");
        assert.ok(fs.readFileSync(sentinelConf, "utf8").endsWith("# state written by sentinel\n"), "sentinel.conf is Sentinel's");
        // Restarted on the rewritten config, the old master comes back as a replica.
        for (const p of [m, r]) process.kill(p.pid, "SIGKILL");
        await waitUntil("both members to exit", async () => m.exited() && r.exited());
        const again0 = startRedis(vmOf(vms, master), master);
        await waitForPing(again0, addressOf(vms, master), 6379, admin());
        assert.equal(infoField(await command(addressOf(vms, master), 6379, admin(), ["INFO", "replication"]), "role"), "slave");
    });

    it("backup job: the member VM gets the script, its environment, the admin password (0600, from the secret store) and a timer; the job run from there backs the member up", async () => {
        const store = fs.mkdtempSync(path.join(work, "store-"));
        const target = parseStoreUri(`file://${store}`) as StoreLocation;
        const job = (members: { address: string; port: number }[]): VmScheduledJob => ({
            name: "backup", onCalendar: "*-*-* 20:00:00 UTC", script: renderBackupScript(), passwordFile: BACKUP_PASSWORD_FILE, packages: BACKUP_JOB_PACKAGES,
            environment: backupJobEnvironment({ deployment: "itest", mode: "standalone", target, retention: { days: 7 }, shards: [{ index: 0, nodes: members }], passwordFile: BACKUP_PASSWORD_FILE }),
        });
        const member = "itest-s0-m0";
        const { vms } = render({ mode: "standalone" }, "itest", "aws", (members) => [job(members.map((m) => ({ address: m.address, port: m.port })))]);
        const vm = vmOf(vms, member);
        const address = addressOf(vms, member);
        const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", vm.scriptFile], { encoding: "utf8" });
        assert.equal(lint.status, 0, `shellcheck:\n${lint.stdout}${lint.stderr}`);
        const res = boot(vm);
        assert.equal(res.status, 0, res.stderr);
        assert.equal(fs.readFileSync(path.join(vm.root, "usr/local/sbin/rd-backup"), "utf8"), renderBackupScript(), "the same script as every provider");
        const passwordFile = path.join(vm.root, BACKUP_PASSWORD_FILE);
        assert.equal(fs.readFileSync(passwordFile, "utf8"), credentials.adminPassword);
        assert.equal(fs.statSync(passwordFile).mode & 0o777, 0o600);
        const env = fs.readFileSync(path.join(vm.root, "etc/redis-deployment/backup.env"), "utf8");
        assert.ok(!env.includes(credentials.adminPassword) && !vm.script.includes(credentials.adminPassword), "no password in the environment file or the user data");
        assert.match(fs.readFileSync(path.join(vm.root, "etc/systemd/system/rd-backup.timer"), "utf8"), /OnCalendar=\*-\*-\* 20:00:00 UTC\nPersistent=true/);
        assert.ok(res.log.includes("systemctl enable --now rd-backup.timer"), res.log.join("\n"));

        // What the timer starts, run here: the unit's environment file and the script, against the member.
        const p = startRedis(vm, member);
        await waitForPing(p, address, 6379, admin());
        await command(address, 6379, admin(), ["SET", "k", "v"]);
        const vars = Object.fromEntries(env.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        const run = spawnSync("bash", [path.join(vm.root, "usr/local/sbin/rd-backup")], { encoding: "utf8", timeout: 60000, env: { ...process.env, ...vars, RD_PASSWORD_FILE: passwordFile, RD_SET: "itest-20261204T200000Z" } });
        assert.equal(run.status, 0, run.stderr);
        const manifest = JSON.parse(fs.readFileSync(path.join(store, "itest-20261204T200000Z/manifest.json"), "utf8"));
        assert.equal(manifest.parts[0].keys, 1);
    });

    it("backup job with TLS (clientAuth required): the job on the member VM uses that member's TLS directory and backs it up over TLS", async () => {
        const store = fs.mkdtempSync(path.join(work, "store-"));
        const target = parseStoreUri(`file://${store}`) as StoreLocation;
        const member = "ibtls-s0-m0";
        const { vms } = render({ mode: "standalone", tls: { enabled: true, clientAuth: "required" } }, "ibtls", "aws", (members) => [{
            name: "backup", onCalendar: "*-*-* 20:00:00 UTC", script: renderBackupScript(), passwordFile: BACKUP_PASSWORD_FILE, packages: BACKUP_JOB_PACKAGES,
            environment: {
                ...backupJobEnvironment({ deployment: "ibtls", mode: "standalone", target, retention: { days: 7 }, shards: [{ index: 0, nodes: members.map((m) => ({ address: m.address, port: m.port })) }], passwordFile: BACKUP_PASSWORD_FILE }),
                ...backupTlsVariables(vmJobTlsFiles(member)),
            },
        }]);
        const tls = lastTls!;
        const vm = vmOf(vms, member);
        const address = addressOf(vms, member);
        const res = boot(vm);
        assert.equal(res.status, 0, res.stderr);
        const p = startRedis(vm, member);
        const clientTls = { ca: tls.caCertificate, certificate: tls.client!.certificate, key: tls.client!.key };
        await waitUntil("the member answers over TLS", async () => {
            if (p.exited()) throw new Error(p.output());
            const client = await connectDirect({ address, port: 6379 }, admin(), clientTls).catch(() => undefined);
            if (!client) return false;
            try {
                return (await client.call("SET", "k", "v")) === "OK";
            } finally {
                client.disconnect();
            }
        }, 20000);
        // What the timer starts: the unit's environment file (its paths taken under the VM's root) and the script.
        const env = fs.readFileSync(path.join(vm.root, "etc/redis-deployment/backup.env"), "utf8");
        const vars = Object.fromEntries(env.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        assert.equal(vars.RD_TLS_CERT, `/etc/redis-deployment/tls/${member}/node.crt`);
        for (const key of ["RD_TLS_CA", "RD_TLS_CERT", "RD_TLS_KEY"]) vars[key] = path.join(vm.root, vars[key]);
        const run = spawnSync("bash", [path.join(vm.root, "usr/local/sbin/rd-backup")], {
            encoding: "utf8", timeout: 60000, env: { ...process.env, ...vars, RD_PASSWORD_FILE: path.join(vm.root, BACKUP_PASSWORD_FILE), RD_SET: "ibtls-20261204T200000Z" },
        });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(JSON.parse(fs.readFileSync(path.join(store, "ibtls-20261204T200000Z/manifest.json"), "utf8")).parts[0].keys, 1);
    });

    // The same TLS run for every cloud's hooks: each reads the keys from its own store (SSM,
    // Secret Manager behind the metadata token, Key Vault behind the IMDS token).
    for (const cloudName of Object.keys(CLOUDS) as Cloud[]) it(`${cloudName}, TLS: each node's key is read from ${CLOUDS[cloudName].hooks.secretStore} (never in the script) into a 0700 directory as 0600 files; the TLS-only configs serve replication and TLS clients, plaintext is refused`, async () => {
        const cloud = CLOUDS[cloudName];
        const { vms } = render({ mode: "sentinel", replicasPerShard: 1, sentinels: 3, tls: { enabled: true } }, "itls", cloudName);
        const tls = lastTls!;
        for (const vm of vms) {
            for (const pair of Object.values(tls.issued)) assert.ok(!vm.script.includes(pair.key.split("\n")[1]), `${vm.host.host.name}: no private key in the script`);
            const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", vm.scriptFile], { encoding: "utf8" });
            assert.equal(lint.status, 0, `${vm.host.host.name}: shellcheck:\n${lint.stdout}${lint.stderr}`);
            if (cloud.hooks.awaitAddresses) aliasRoutesUp(vm);
            const r = boot(vm);
            assert.equal(r.status, 0, `${vm.host.host.name} failed:\n${r.stderr}`);
            const read = cloud.secretsRead(r.log);
            for (const node of Object.keys(vm.host.nodeAddresses)) {
                const dir = path.join(vm.root, "etc/redis-deployment/tls", node);
                assert.equal(fs.statSync(dir).mode & 0o777, 0o700, `${node}: its TLS directory`);
                for (const f of Object.values(TLS_FILES)) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, `${node}: ${f}`);
                assert.equal(fs.readFileSync(path.join(dir, TLS_FILES.key), "utf8"), tls.issued[node].key, `${node}: the key read from ${cloud.hooks.secretStore}`);
                const owner = node.includes("proxy") ? "haproxy:haproxy" : "redis:redis";
                assert.ok(r.log.includes(`chown ${owner} ${path.join(dir, `${TLS_FILES.key}.rd-new`)}`), `${node}: owned by ${owner}`);
                assert.ok(read.includes(cloud.tlsKeyRef(node)), `${node}: its key read from ${cloud.tlsKeyRef(node)}; read: ${read.join(", ")}`);
                const encoded = Buffer.from(tls.issued[node].key).toString("base64");
                assert.ok(r.log.every((l) => !l.includes(tls.issued[node].key.split("\n")[1]) && !l.includes(encoded.slice(0, 64))), `${node}: its key on no command line`);
            }
        }
        const master = "itls-s0-m0";
        const replica = "itls-s0-m1";
        const clientTls = { ca: tls.caCertificate, certificate: tls.client!.certificate, key: tls.client!.key };
        const m = startRedis(vmOf(vms, master), master);
        const r = startRedis(vmOf(vms, replica), replica);
        const masterNode = { address: addressOf(vms, master), port: 6379 };
        const replicaNode = { address: addressOf(vms, replica), port: 6379 };
        const overTls = async <T>(node: typeof masterNode, fn: (c: Awaited<ReturnType<typeof connectDirect>>) => Promise<T>): Promise<T | undefined> => {
            const client = await connectDirect(node, admin(), clientTls).catch(() => undefined);
            if (!client) return undefined;
            try {
                return await fn(client);
            } finally {
                client.disconnect();
            }
        };
        await waitUntil("the replica syncs over TLS", async () => {
            if (m.exited() || r.exited()) throw new Error(`${m.output()}\n${r.output()}`);
            return /master_link_status:up/.test(String(await overTls(replicaNode, (c) => c.call("INFO", "replication"))));
        }, 20000);
        // A write on the master reaches the replica: the link carries data, not just a handshake.
        assert.equal(await overTls(masterNode, (c) => c.call("SET", "tls:k", cloudName)), "OK");
        await waitUntil("the write replicated over TLS", async () => (await overTls(replicaNode, (c) => c.call("GET", "tls:k"))) === cloudName, 10000);
        for (const node of [masterNode, replicaNode]) {
            const plain = await plaintextPing(node.address, node.port);
            assert.ok(!/PONG|NOAUTH|^-/.test(plain), `${node.address}: plaintext answered: ${plain}`);
        }
        const proxyVm = vmOf(vms, "itls-proxy0");
        const cfg = path.join(proxyVm.root, VM_PATHS.etc, "itls-proxy0", "haproxy.cfg");
        assert.match(fs.readFileSync(cfg, "utf8"), / ssl crt \S+\/etc\/redis-deployment\/tls\/itls-proxy0\/node\.pem/);
        const check = spawnSync("haproxy", ["-c", "-f", cfg], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
    });

    it("cluster: a member's config starts a cluster node announcing its own address", async () => {
        const { vms } = render({ mode: "cluster", shards: 3, replicasPerShard: 0 });
        const vm = vms[0];
        const member = vm.host.host.members[0].name;
        const res = boot(vm);
        assert.equal(res.status, 0, res.stderr);
        const p = startRedis(vm, member);
        const address = addressOf(vms, member);
        await waitForPing(p, address, 6379, admin());
        const info = await command(address, 6379, admin(), ["CLUSTER", "INFO"]);
        assert.equal(infoField(info, "cluster_state"), "fail", "a fresh node, no slots yet");
        assert.equal(await command(address, 6379, admin(), ["CONFIG", "GET", "cluster-announce-ip"]).then((x) => (x as string[])[1]), address);
        assert.ok(fs.existsSync(path.join(vm.root, VM_PATHS.data, member, "nodes.conf")), "nodes.conf on the member's disk");
    });

    it("replication without persistence: a master that stopped is not started again empty", async () => {
        const { vms } = render({ mode: "replication", persistence: { aof: false, rdb: false } });
        const vm = vmOf(vms, "itest-s0-m0");
        const first = boot(vm);
        assert.equal(first.status, 0, first.stderr);
        assert.ok(first.log.includes("systemctl start redis-deployment-itest-s0-m0.service"), "first boot starts it");
        assert.match(fs.readFileSync(path.join(vm.root, "etc/systemd/system/redis-deployment-itest-s0-m0.service"), "utf8"), /^Restart=no$/m);
        const second = boot(vm);
        assert.equal(second.status, 0, second.stderr);
        assert.ok(!second.log.includes("systemctl start redis-deployment-itest-s0-m0.service"), "a later boot leaves the empty master stopped");
        assert.match(second.stderr, /itest-s0-m0: NOT started/);
        // A member that was a replica comes back (as a replica).
        const replicaVm = vmOf(vms, "itest-s0-m1");
        assert.equal(boot(replicaVm).status, 0);
        const again = boot(replicaVm);
        assert.ok(again.log.includes("systemctl start redis-deployment-itest-s0-m1.service"), again.stderr);
    });

    it("fails, writing no config, when a secret can not be read or is malformed", () => {
        const { vms } = render({ mode: "standalone" });
        const vm = vms[0];
        fs.rmSync(path.join(vm.stubs, "secrets", secretFile(REFS.adminPassword)));
        const missing = boot(vm);
        assert.notEqual(missing.status, 0);
        assert.match(missing.stderr, /could not read the adminPassword secret \/redis-deployment\/itest\/admin-password from AWS SSM Parameter Store/);
        assert.ok(!fs.existsSync(memberConf(vm, "itest-s0-m0")), "no config without its secrets");
        assert.ok(!missing.log.some((l) => l.startsWith("systemctl start")));

        fs.writeFileSync(path.join(vm.stubs, "secrets", secretFile(REFS.adminPassword)), "has a space");
        const malformed = boot(vm);
        assert.notEqual(malformed.status, 0);
        assert.match(malformed.stderr, /the adminPassword secret .* holds whitespace/);
        assert.ok(!fs.existsSync(memberConf(vm, "itest-s0-m0")));
    });

    it("never formats a disk that holds another filesystem, and fails when the disk does not appear", () => {
        const { vms } = render({ mode: "standalone" });
        const vm = vms[0];
        const other = boot(vm, { env: { RD_STUB_FSTYPE: "xfs" } });
        assert.notEqual(other.status, 0);
        assert.match(other.stderr, /holds 'xfs', not an ext4 filesystem; leaving it alone/);
        assert.ok(!other.log.some((l) => l.startsWith("mkfs")), "no mkfs");
        fs.rmSync(path.join(vm.root, "dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_volitest-s0-m0"));
        const absent = boot(vm, { env: { RD_DISK_TIMEOUT: "0" } });
        assert.notEqual(absent.status, 0);
        assert.match(absent.stderr, /the data disk of itest-s0-m0 did not appear/);
    });

    it("at boot with --refresh, runs the VM's current user data when it changed (gzip too), else itself", async () => {
        const v1 = render({ mode: "standalone", maxmemory: "64mb" }, "itest").vms[0];
        assert.equal(boot(v1).status, 0);
        const installed = path.join(v1.root, VM_PATHS.self);
        // Unchanged user data: runs as installed.
        fs.writeFileSync(path.join(v1.stubs, "user-data"), v1.script);
        const same = boot(v1, { file: installed, args: ["--refresh"] });
        assert.equal(same.status, 0, same.stderr);
        assert.ok(!same.stderr.includes("the user data changed"));
        // New user data (maxmemory changed), gzip-compressed as large user data is sent.
        const v2script = v1.script.replace(/maxmemory 67108864/g, "maxmemory 134217728");
        assert.notEqual(v2script, v1.script);
        fs.writeFileSync(path.join(v1.stubs, "user-data"), zlib.gzipSync(v2script));
        const changed = boot(v1, { file: installed, args: ["--refresh"] });
        assert.equal(changed.status, 0, changed.stderr);
        assert.match(changed.stderr, /the user data changed: installing and running it/);
        assert.equal(fs.readFileSync(installed, "utf8"), v2script);
        assert.match(fs.readFileSync(memberConf(v1, "itest-s0-m0"), "utf8"), /^maxmemory 134217728$/m);
        // User data of another host is not run.
        fs.writeFileSync(path.join(v1.stubs, "user-data"), v2script.replace("readonly RD_HOST=itest-s0-m0", "readonly RD_HOST=other"));
        const foreign = boot(v1, { file: installed, args: ["--refresh"] });
        assert.equal(foreign.status, 0);
        assert.equal(fs.readFileSync(installed, "utf8"), v2script, "kept");
    });
    it("azure: the custom data launcher runs the boot script from IMDS user data (plain or gzip); a later boot runs changed user data", async () => {
        const vm = render({ mode: "standalone", maxmemory: "64mb" }, "itest", "azure").vms[0];
        const launcher = path.join(vm.stubs, "..", "custom-data.sh");
        fs.writeFileSync(launcher, AZURE_LAUNCHER, { mode: 0o700 });
        const lint = spawnSync("shellcheck", ["-s", "bash", "-S", "style", launcher], { encoding: "utf8" });
        assert.equal(lint.status, 0, `shellcheck:\n${lint.stdout}${lint.stderr}`);
        // The stub IMDS serves the user data file base64-encoded, as Azure does: here the gzip form.
        fs.writeFileSync(path.join(vm.stubs, "user-data"), Buffer.from(encodeAzureUserData(vm.script + "#" + "x".repeat(70000) + "\n"), "base64"));
        assert.equal(Buffer.from(encodeAzureUserData(vm.script + "#" + "x".repeat(70000) + "\n"), "base64")[0], 0x1f, "(large user data is gzip)");
        const first = boot(vm, { file: launcher });
        assert.equal(first.status, 0, first.stderr);
        assert.ok(first.log.some((l) => l.startsWith("curl ") && l.includes("compute/userData")), "read from IMDS");
        const conf = fs.readFileSync(memberConf(vm, "itest-s0-m0"), "utf8");
        assert.ok(conf.includes(`masterauth ${credentials.adminPassword}\n`), "configs written with the Key Vault secrets");
        const p = startRedis(vm, "itest-s0-m0");
        await waitForPing(p, addressOf([vm], "itest-s0-m0"), 6379, admin());
        // Later boots: the installed script reads the user data again; changed, it runs the new one.
        const installed = path.join(vm.root, VM_PATHS.self);
        const v2 = vm.script.replace(/maxmemory 67108864/g, "maxmemory 134217728");
        fs.writeFileSync(path.join(vm.stubs, "user-data"), v2);
        const refreshed = boot(vm, { file: installed, args: ["--refresh"] });
        assert.equal(refreshed.status, 0, refreshed.stderr);
        assert.match(refreshed.stderr, /the user data changed: installing and running it/);
        assert.match(fs.readFileSync(memberConf(vm, "itest-s0-m0"), "utf8"), /^maxmemory 134217728$/m);
        // No user data at all: the launcher fails instead of running nothing.
        fs.writeFileSync(path.join(vm.stubs, "user-data"), "");
        const empty = spawnSync("timeout", ["20", "bash", "-c", `sed 's/seq 1 60/seq 1 2/; s/sleep 5/sleep 0/' ${launcher} | bash`], {
            encoding: "utf8", env: { ...process.env, PATH: `${vm.stubs}:${process.env.PATH}`, RD_ROOT: vm.root, RD_STUB_LOG: path.join(vm.stubs, "log"), RD_STUB_DIR: vm.stubs },
        });
        assert.notEqual(empty.status, 0);
        assert.match(empty.stderr, /no user data from the instance metadata service/);
    });

    describe("GCP", () => {
        it("sentinel 1+1: waits for the alias IPs, reads Secret Manager with the metadata token, writes configs redis-server, redis-sentinel and haproxy accept", async () => {
            const { vms } = render({ mode: "sentinel", replicasPerShard: 1, sentinels: 3 }, "itest", "gcp");
            const [master, replica] = ["itest-s0-m0", "itest-s0-m1"];
            for (const vm of vms) aliasRoutesUp(vm);
            const results = new Map(vms.map((vm) => [vm.host.host.name, boot(vm)]));
            for (const [host, r] of results) assert.equal(r.status, 0, `${host} failed:\n${r.stderr}`);

            const m0 = vmOf(vms, master);
            const log = results.get(master)!.log;
            assert.ok(log.includes(`ip -4 -o route get ${addressOf(vms, master)}`), "waits for the guest agent's route");
            assert.ok(!log.some((l) => l.startsWith("ip addr add")), "adds no address: the guest agent routes alias IPs");
            assert.ok(log.includes("apt-get -q install -y --no-install-recommends redis-server curl"));
            const secretCalls = log.filter((l) => l.includes("secretmanager.googleapis.com"));
            assert.deepEqual(secretCalls.map((l) => /\/v1\/(\S+)\/versions\/latest:access$/.exec(l)![1]), STORED_SECRETS.map((k) => GCP_REFS[k]));
            assert.ok(log.filter((l) => l.includes("computeMetadata/v1/instance/service-accounts/default/token")).length >= 3, "a token per read");
            assert.ok(log.every((l) => !l.includes(credentials.password) && !l.includes(credentials.adminPassword)), "no secret on a command line");
            const device = path.join(m0.root, `dev/disk/by-id/google-${master}`);
            assert.ok(log.includes(`mkfs.ext4 -q -m 0 -L rd-data ${device}`), "the disk is found by its device name");
            assert.ok(!fs.existsSync(path.join(m0.root, "etc/systemd/system/redis-deployment-boot.service")), "no boot unit: the guest agent runs the startup script at every boot");
            assert.ok(!fs.existsSync(path.join(m0.root, VM_PATHS.self)));

            const conf = fs.readFileSync(memberConf(m0, master), "utf8");
            assert.ok(!conf.includes("@@RD_"), "no placeholder left");
            assert.ok(conf.includes(`masterauth ${credentials.adminPassword}\n`));
            const m = startRedis(m0, master);
            await waitForPing(m, addressOf(vms, master), 6379, admin());
            assert.equal(await command(addressOf(vms, master), 6379, { password: credentials.password }, ["PING"]), "PONG", "the application password from Secret Manager works");
            const r = startRedis(vmOf(vms, replica), replica);
            await waitForPing(r, addressOf(vms, replica), 6379, admin());
            await waitUntil("the replica's link to the master", async () =>
                infoField(await command(addressOf(vms, replica), 6379, admin(), ["INFO", "replication"]), "master_link_status") === "up");
            const sentinelVm = vmOf(vms, "itest-sentinel0");
            const s = runner.start("sentinel", "redis-server", [path.join(sentinelVm.root, VM_PATHS.data, "itest-sentinel0", "sentinel.conf"), "--sentinel"]);
            await waitForPing(s, addressOf(vms, "itest-sentinel0"), 26379, { password: credentials.password });
            const cfg = path.join(vmOf(vms, "itest-proxy0").root, VM_PATHS.etc, "itest-proxy0", "haproxy.cfg");
            const check = spawnSync("haproxy", ["-c", "-f", cfg], { encoding: "utf8" });
            assert.equal(check.status, 0, `haproxy -c: ${check.stdout}${check.stderr}`);
        });

        it("standalone behind the load balancer: listens on the load balancer's address too, once it is local", async () => {
            const { plan: p, vms } = render({ mode: "standalone" }, "itest", "gcp");
            const vm = vms[0];
            const member = "itest-s0-m0";
            const lb = vm.host.nodeAddresses[member].replace(/\.\d+$/, ".200");
            const script = renderBootScript({
                plan: p, placed: vm.host, allMembers: [], secretRefs: GCP_REFS, hooks: gcpBootHooks(), disks: { [member]: gcpDiskDevices(member) }, alsoListenOn: [lb],
            });
            fs.writeFileSync(vm.scriptFile, script);
            aliasRoutesUp(vm);
            const early = boot(vm, { env: { RD_ADDRESS_TIMEOUT: "0" } });
            assert.notEqual(early.status, 0, "the load balancer's address is not local yet");
            assert.match(early.stderr, new RegExp(`${lb.replace(/\./g, "\\.")} did not become local to this VM`));
            assert.ok(!early.log.some((l) => l.startsWith("systemctl start")), "nothing started before its address is local");
            aliasRoutesUp(vm, [lb]);
            const res = boot(vm);
            assert.equal(res.status, 0, res.stderr);
            const proc = startRedis(vm, member);
            await waitForPing(proc, vm.host.nodeAddresses[member], 6379, admin());
            await waitForPing(proc, lb, 6379, admin());
        });

        it("fails, writing no config, when Secret Manager has no such secret", () => {
            const { vms } = render({ mode: "standalone" }, "itest", "gcp");
            const vm = vms[0];
            aliasRoutesUp(vm);
            fs.rmSync(path.join(vm.stubs, "secrets", secretFile(GCP_REFS.adminPassword)));
            const res = boot(vm);
            assert.notEqual(res.status, 0);
            assert.match(res.stderr, /could not read the adminPassword secret projects\/itest\/secrets\/rd-admin-password from GCP Secret Manager/);
            assert.ok(!fs.existsSync(memberConf(vm, "itest-s0-m0")));
        });
    });
});
