// Metrics with TLS, against real programs: a sentinel fleet (1 master + 1 replica, 3 sentinels)
// that listens on TLS only with clientAuth "required", and a real redis_exporter (Debian's
// prometheus-redis-exporter) per member and sentinel started with the local provider's command
// line. Each reports redis_up 1; an exporter that does not trust the deployment's CA, or that
// presents no client certificate, does not: the exporter verifies the node and the node the
// exporter.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { issueAll } from "../../bootstrap/tlsCertificates";
import { TLS_FILES } from "../../components/tls";
import { Fleet, processesUnder } from "../helpers/fleet";
import { httpGet } from "../helpers/http";
import { plaintextPing } from "../helpers/tls";

describe("metrics over TLS: real redis_exporters read TLS-only members and sentinels (clientAuth required)", function () {
    this.timeout(120000);
    let fleet: Fleet;

    before(async () => {
        fleet = new Fleet("mtls", { mode: "sentinel", replicasPerShard: 1, sentinels: 3, metrics: {}, tls: { enabled: true, clientAuth: "required" } });
        await fleet.startMembers();
        await fleet.startSentinels();
    });
    after(async () => {
        await fleet?.cleanup();
        if (fleet) assert.deepEqual(processesUnder(fleet.root), [], "no process left");
    });

    it("each member's and sentinel's exporter logs in over rediss:// with the node's own certificate and reports redis_up 1", async () => {
        const nodes = [...fleet.members, ...fleet.sentinels];
        assert.equal(nodes.length, 5);
        for (const node of nodes) {
            const plain = await plaintextPing(node.address, node.port);
            assert.ok(!/PONG|NOAUTH/.test(plain), `${node.name} listens on TLS only (plaintext got ${plain})`);
            const started = Date.now();
            const exporter = await fleet.startExporter(node);
            const readyMs = Date.now() - started;
            assert.ok(exporter.command.includes(`rediss://${node.address}:${node.port}`), exporter.command.join(" "));
            const body = (await httpGet(`http://${node.address}:9121/metrics`)).body;
            assert.match(body, /^redis_up 1$/m, `${node.name}: ${body.split("\n").filter((l) => l.startsWith("redis_up")).join(" ")}`);
            if (fleet.members.includes(node as never)) assert.match(body, /^redis_instance_info\{.*role="(master|slave)".*\} 1$/m);
            else assert.match(body, /^redis_instance_info\{.*redis_mode="sentinel".*\} 1$/m);
            console.log(`      ${node.name}: redis_up 1 over TLS, ${readyMs} ms after the exporter started`);
        }
    });

    it("the exporter checks the node's certificate: trusting another CA, it never reports redis_up 1 and logs why", async () => {
        const node = fleet.members[0];
        const other = issueAll({ deployment: "other", clientAuth: "none", validityDays: 30, renewBeforeDays: 7, nodes: [{ name: "x", names: [node.address] }] });
        const dir = path.join(fleet.root, "foreign-ca-tls");
        fs.mkdirSync(dir, { mode: 0o700 });
        fs.writeFileSync(path.join(dir, TLS_FILES.ca), other.caCertificate);
        for (const f of [TLS_FILES.cert, TLS_FILES.key]) fs.copyFileSync(path.join(fleet.root, node.name, "tls", f), path.join(dir, f));
        await assert.rejects(fleet.startExporter(node, { port: 9131, tlsDir: dir, debug: true, timeoutMs: 6000 }), /to be ready/);
        const log = fs.readFileSync(path.join(fleet.root, `${node.name}-exporter-9131`, "exporter.log"), "utf8");
        assert.match(log, /DialURL\(\) failed, err: .*certificate signed by unknown authority/, log.slice(-2000));
        assert.doesNotMatch(log, /^redis_up 1$/m);
    });

    it("clientAuth required: without the node's certificate as client certificate the node refuses the exporter", async () => {
        const node = fleet.sentinels[0];
        await assert.rejects(fleet.startExporter(node, { port: 9132, withoutClientCertificate: true, debug: true, timeoutMs: 6000 }), /to be ready/);
        const log = fs.readFileSync(path.join(fleet.root, `${node.name}-exporter-9132`, "exporter.log"), "utf8");
        assert.match(log, /ClientCertFile:\\"\\", ClientKeyFile:\\"\\", CaCertFile:\\"[^"\\]+ca\.crt\\"/, "started with the CA only");
        assert.match(log, /err: .*(certificate required|bad certificate|connection reset|EOF)/, log.slice(-2000));
    });
});
