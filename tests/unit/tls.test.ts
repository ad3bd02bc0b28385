// The tls argument's validation (one clear error per bad field, at preview), the checks of a
// given certificate against its node, the certificates the deployment issues and renews, and
// the refusal to switch TLS on a running deployment.
import { strict as assert } from "node:assert";
import { X509Certificate } from "crypto";
import { issueCa, issueCertificate } from "../../bootstrap/certificates";
import { passwordProvider } from "../../bootstrap/password";
import { givenCertificateProblems, issueAll, renewalDue, tlsCertificatesProvider, type TlsCertificatesInputs } from "../../bootstrap/tlsCertificates";
import type { RedisDeploymentArgs } from "../../components/args";
import { plan } from "../../components/plan";
import { certificateProblems, certificateSubjects } from "../../components/tls";
import { validateArgs } from "../../components/validate";
import { checkSettingFlags, parseSettingFlags, toDeploymentArgs, validateSettings } from "../../bin/cli/settings";
import { argumentProblems } from "../helpers/argumentProblems";

const problems = (args: RedisDeploymentArgs) => argumentProblems(args);

/** The single problem the arguments have: its field and message. */
function onlyProblem(args: RedisDeploymentArgs): { field: string; message: string } {
    const found = problems(args);
    assert.equal(found.length, 1, JSON.stringify(found));
    return found[0];
}

const DAY = 86400000;
const ca = issueCa("test CA", 3650);
const nodeCert = issueCertificate(ca, { commonName: "cache-s0-m0", names: ["10.0.0.5", "cache-s0-m0.redis.svc"] }, 90);

describe("tls argument", () => {
    it("off by default; { enabled: true } turns it on with generated certificates, clientAuth none, renewal 30 days before a 365-day expiry", () => {
        assert.equal(validateArgs("cache", {}).tls.enabled, false);
        assert.deepEqual(validateArgs("cache", { tls: { enabled: true } }).tls,
            { enabled: true, clientAuth: "none", source: "generated", renewBeforeDays: 30, validityDays: 365, serverNames: [] });
    });

    it("every port of the plan is marked TLS, on the same numbers (firewalls and load balancers unchanged)", () => {
        const plain = plan(validateArgs("cache", { mode: "cluster" })).ports;
        const tls = plan(validateArgs("cache", { mode: "cluster", tls: { enabled: true } })).ports;
        assert.deepEqual(tls.map((p) => p.port), plain.map((p) => p.port));
        assert.ok(tls.every((p) => p.tls && /TLS/.test(p.description)));
        assert.ok(plain.every((p) => !p.tls));
    });

    it("a CA without its key: one error on tls.caKey saying what it is for", () => {
        const p = onlyProblem({ tls: { enabled: true, ca: ca.certificate } });
        assert.equal(p.field, "tls.caKey");
        assert.match(p.message, /issues each node's certificate from that CA with its key/);
    });

    it("a key without its CA: one error on tls.ca", () => {
        assert.equal(onlyProblem({ tls: { enabled: true, caKey: ca.key } }).field, "tls.ca");
    });

    it("an expired CA or certificate given as text: one error naming the date", () => {
        const old = issueCa("old", 1, new Date(Date.now() - 10 * DAY));
        const p = onlyProblem({ tls: { enabled: true, ca: old.certificate, caKey: old.key } });
        assert.equal(p.field, "tls.ca");
        assert.match(p.message, /^expired on \d{4}-\d\d-\d\d/);
        const expired = issueCertificate(ca, { commonName: "x", names: ["10.0.0.5"] }, 1, new Date(Date.now() - 10 * DAY));
        const q = onlyProblem({ tls: { enabled: true, ca: ca.certificate, certificates: { "cache-s0-m0": { certificate: expired.certificate, key: expired.key } } } });
        assert.equal(q.field, "tls.certificates.cache-s0-m0.certificate");
        assert.match(q.message, /expired/);
    });

    it("clientAuth \"required\" with only the user's certificates (no CA key to issue client certificates from): one error", () => {
        const p = onlyProblem({ tls: { enabled: true, clientAuth: "required", ca: ca.certificate, certificates: { "cache-s0-m0": { certificate: nodeCert.certificate, key: nodeCert.key } } } });
        assert.equal(p.field, "tls.clientAuth");
        assert.match(p.message, /give tls.caKey too, or use clientAuth "optional"/);
        assert.deepEqual(problems({ tls: { enabled: true, clientAuth: "required" } }), [], "generated certificates can issue client certificates");
        assert.deepEqual(problems({ tls: { enabled: true, clientAuth: "required", ca: ca.certificate, caKey: ca.key } }), []);
    });

    it("bad values: clientAuth, renewBeforeDays >= validityDays, unknown fields, fields with enabled not true, certManagerIssuer off Kubernetes", () => {
        assert.match(onlyProblem({ tls: { enabled: true, clientAuth: "always" as never } }).message, /not one of: none, optional, required/);
        assert.equal(onlyProblem({ tls: { enabled: true, renewBeforeDays: 400 } }).field, "tls.renewBeforeDays");
        assert.match(onlyProblem({ tls: { enabled: true, clientauth: "required" } as never }).message, /did you mean "clientAuth"/);
        assert.equal(onlyProblem({ tls: { clientAuth: "required" } }).field, "tls.enabled");
        assert.match(onlyProblem({ tls: { enabled: true, certManagerIssuer: { name: "ca" } } }).message, /^is read by the kubernetes provider only/);
        assert.equal(onlyProblem({ tls: "on" as never }).field, "tls");
    });

    it("serverNames: DNS names or IPs added to every proxy's certificate only; refused without HAProxy or when not a name", () => {
        const resolved = validateArgs("cache", { mode: "sentinel", tls: { enabled: true, serverNames: ["redis.example.internal", "*.redis.example.internal", "10.9.8.7"] } }).tls;
        assert.deepEqual(resolved.serverNames, ["redis.example.internal", "*.redis.example.internal", "10.9.8.7"]);
        const reached = { "cache-s0-m0": ["10.0.0.5"], "cache-proxy0": ["10.0.1.5"], "cache-proxy1": ["10.0.1.6", "10.9.8.7"] };
        assert.deepEqual(certificateSubjects(resolved, ["cache-proxy0", "cache-proxy1"], reached), {
            "cache-s0-m0": ["10.0.0.5"],
            "cache-proxy0": ["10.0.1.5", "redis.example.internal", "*.redis.example.internal", "10.9.8.7"],
            "cache-proxy1": ["10.0.1.6", "10.9.8.7", "redis.example.internal", "*.redis.example.internal"],
        });
        const bad = onlyProblem({ mode: "sentinel", tls: { enabled: true, serverNames: ["redis example", "ok.example"] } });
        assert.equal(bad.field, "tls.serverNames");
        assert.match(bad.message, /^"redis example" is neither a DNS name/);
        assert.match(onlyProblem({ mode: "cluster", tls: { enabled: true, serverNames: ["redis.example.internal"] } }).message, /runs no HAProxy/);
        assert.match(onlyProblem({ mode: "sentinel", tls: { enabled: true, serverNames: [] } }).message, /list of 1 to 20/);
    });

    it("certificateProblems: a SAN that does not cover the node's address or DNS name says which, and how to issue it", () => {
        assert.equal(certificateProblems(nodeCert.certificate, ["10.0.0.5", "cache-s0-m0.redis.svc"]), undefined);
        const why = certificateProblems(nodeCert.certificate, ["10.0.0.6"])!;
        assert.match(why, /do not cover 10\.0\.0\.6.*issue it with IP:10\.0\.0\.6/);
        assert.match(certificateProblems(nodeCert.certificate, ["other.redis.svc"])!, /DNS:other\.redis\.svc/);
        assert.match(certificateProblems("junk", [])!, /not a PEM certificate/);
        const other = issueCa("other", 30);
        assert.match(certificateProblems(nodeCert.certificate, [], new Date(), other.certificate)!, /not issued by tls.ca/);
    });
});

describe("TlsCertificates resource", () => {
    const inputs: TlsCertificatesInputs = {
        deployment: "cache", clientAuth: "none", validityDays: 365, renewBeforeDays: 30,
        nodes: [{ name: "cache-s0-m0", names: ["127.40.0.2"] }, { name: "cache-proxy0", names: ["127.40.251.2"] }],
    };

    it("generates a CA and one certificate per node whose SAN is the node's address, issued by that CA, for server and client use", () => {
        const outs = issueAll(inputs);
        const caCert = new X509Certificate(outs.caCertificate);
        assert.ok(caCert.ca);
        for (const node of inputs.nodes) {
            const cert = new X509Certificate(outs.issued[node.name].certificate);
            assert.equal(cert.subjectAltName, `IP Address:${node.names[0]}`);
            assert.ok(cert.verify(caCert.publicKey));
            assert.ok(cert.checkPrivateKey(require("crypto").createPrivateKey(outs.issued[node.name].key)));
            assert.equal(certificateProblems(cert.toString(), node.names, new Date(), outs.caCertificate), undefined);
            assert.ok(Math.abs(new Date(cert.validTo).getTime() - Date.now() - 365 * DAY) < 2 * DAY);
        }
        assert.ok(new X509Certificate(outs.client!.certificate).verify(caCert.publicKey));
    });

    it("update keeps what still fits, issues a node whose address changed, and renews what expires within renewBeforeDays", async () => {
        const outs = issueAll(inputs);
        const same = issueAll(inputs, outs);
        assert.deepEqual(same.issued, outs.issued);
        assert.equal(same.caCertificate, outs.caCertificate);
        const moved = issueAll({ ...inputs, nodes: [inputs.nodes[0], { name: "cache-proxy0", names: ["127.40.251.3"] }] }, outs);
        assert.equal(moved.issued["cache-s0-m0"].certificate, outs.issued["cache-s0-m0"].certificate);
        assert.notEqual(moved.issued["cache-proxy0"].certificate, outs.issued["cache-proxy0"].certificate);
        // 340 days later every certificate is within 30 days of its expiry: diff reports a change and update renews all.
        const later = new Date(Date.now() + 340 * DAY);
        assert.equal(renewalDue(outs, 30), false);
        assert.equal(renewalDue(outs, 30, later), true);
        const renewed = issueAll(inputs, outs, later);
        assert.equal(renewed.caCertificate, outs.caCertificate, "the CA (10 years) stays, so clients keep trusting it");
        for (const node of inputs.nodes) assert.notEqual(renewed.issued[node.name].certificate, outs.issued[node.name].certificate);
        const diff = await tlsCertificatesProvider.diff!("id", outs, inputs);
        assert.equal(diff.changes, false);
    });

    it("issues from the user's CA, and the user's own certificates are checked at preview (check): SAN, issuer, key", async () => {
        const fromUser = issueAll({ ...inputs, ca: ca.certificate, caKey: ca.key });
        assert.equal(fromUser.caCertificate, ca.certificate);
        assert.ok(new X509Certificate(fromUser.issued["cache-s0-m0"].certificate).verify(new X509Certificate(ca.certificate).publicKey));

        const m0 = issueCertificate(ca, { commonName: "m0", names: ["127.40.0.2"] }, 90);
        const wrongSan = issueCertificate(ca, { commonName: "p0", names: ["127.40.251.9"] }, 90);
        const given = { ...inputs, ca: ca.certificate, certificates: { "cache-s0-m0": m0, "cache-proxy0": wrongSan } };
        const result = await tlsCertificatesProvider.check!({}, given);
        assert.deepEqual(result.failures?.map((f) => f.reason.split(" ").slice(0, 1)[0]), ["tls.certificates.cache-proxy0.certificate"]);
        assert.match(result.failures![0].reason, /do not cover 127\.40\.251\.2/);
        assert.deepEqual(givenCertificateProblems({ ...given, certificates: { "cache-s0-m0": m0 } }).map((f) => f.reason),
            ["tls.certificates has no certificate for the node \"cache-proxy0\"; give one for every node: cache-s0-m0, cache-proxy0"]);
        assert.deepEqual(givenCertificateProblems({ ...given, certificates: { "cache-s0-m0": { ...m0, key: wrongSan.key }, "cache-proxy0": issueCertificate(ca, { commonName: "p0", names: ["127.40.251.2"] }, 90) } }).map((f) => f.reason),
            ["tls.certificates.cache-s0-m0.key is not the private key of the certificate"]);
        const other = issueCa("other", 30);
        assert.match(givenCertificateProblems({ ...inputs, ca: ca.certificate, caKey: other.key })[0].reason, /tls.caKey is not the private key/);
    });
});

describe("switching TLS on a running deployment", () => {
    const existing = { minLength: 16, given: undefined };

    it("is refused at preview (the password resource's check, the first a deployment registers), saying how to migrate", async () => {
        const on = await passwordProvider.check!({ ...existing }, { minLength: 16, transport: "tls" });
        assert.match(on.failures![0].reason, /turning TLS on for a running deployment is not done in place.*deploy a second RedisDeployment with tls: \{ enabled: true \}/);
        const off = await passwordProvider.check!({ ...existing, transport: "tls" }, { minLength: 16, transport: "plain" });
        assert.match(off.failures![0].reason, /turning TLS off/);
    });

    it("a new deployment with TLS, and an unchanged one (also one whose state predates TLS), pass", async () => {
        assert.deepEqual((await passwordProvider.check!({}, { minLength: 16, transport: "tls" })).failures ?? [], []);
        assert.deepEqual((await passwordProvider.check!({ ...existing }, { minLength: 16, transport: "plain" })).failures ?? [], []);
        assert.deepEqual((await passwordProvider.check!({ ...existing, transport: "tls" }, { minLength: 16, transport: "tls" })).failures ?? [], []);
    });
});

describe("the CLI's --tls and --tls-client-auth", () => {
    it("become tls.enabled and tls.clientAuth; an unknown mode or one without --tls on is refused, naming the flag or the field", () => {
        assert.deepEqual(toDeploymentArgs(parseSettingFlags({ tls: "on", "tls-client-auth": "required" })).tls, { enabled: true, clientAuth: "required" });
        assert.deepEqual(toDeploymentArgs(parseSettingFlags({ tls: "on" })).tls, { enabled: true });
        assert.equal(toDeploymentArgs(parseSettingFlags({})).tls, undefined);
        assert.throws(() => checkSettingFlags(parseSettingFlags({ "tls-client-auth": "always" })), /--tls-client-auth: "always" is not one of: none, optional, required/);
        assert.throws(() => validateSettings({ tlsClientAuth: "required" }), /tls\.enabled: is not true while tls\.clientAuth is set/);
    });
});
