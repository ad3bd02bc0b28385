// TLS in transit: the `tls` argument, its validation, and the checks of a certificate against
// the node it is for. Pure (Node's own X509Certificate parses certificates; no Pulumi here), so
// validation at preview and the certificate resource's own check share one set of rules.
import type { FieldChecks } from "./fieldChecks";
import { DNS_SUBDOMAIN, isPlainObject } from "./fieldChecks";
import type { ClientTls, ProviderKind } from "./types";

export const CLIENT_AUTH_MODES = ["none", "optional", "required"] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

/** Where the certificates come from. */
export type CertificateSource = "generated" | "ca" | "certificates" | "cert-manager";

/** The `tls` argument after validation. */
export interface ResolvedTls {
    enabled: boolean;
    clientAuth: ClientAuth;
    source: CertificateSource;
    /** `up` issues a node certificate again once it expires within this many days. */
    renewBeforeDays: number;
    /** Lifetime of the node certificates the deployment issues. */
    validityDays: number;
    /** Kubernetes: the cert-manager issuer of the pods' certificates (source "cert-manager"). */
    certManagerIssuer?: CertManagerIssuer;
    /** More names (DNS names, IP addresses) on the proxies' certificates: e.g. the load balancer's DNS name. */
    serverNames: string[];
}

export const CERT_MANAGER_ISSUER_KINDS = ["Issuer", "ClusterIssuer"] as const;

export interface CertManagerIssuer {
    name: string;
    kind: (typeof CERT_MANAGER_ISSUER_KINDS)[number];
}

export const TLS_OFF: ResolvedTls = { enabled: false, clientAuth: "none", source: "generated", renewBeforeDays: 30, validityDays: 365, serverNames: [] };

export const TLS_FIELDS = ["enabled", "clientAuth", "ca", "caKey", "certificates", "certManagerIssuer", "renewBeforeDays", "validityDays", "serverNames"];

/** At most this many tls.serverNames (each becomes a subject alternative name of every proxy certificate). */
export const MAX_SERVER_NAMES = 20;

/**
 * The files of a node's TLS directory. Redis and Sentinel read `cert` and `key` (also as the
 * client certificate of their own outgoing links) and `ca`; HAProxy wants the certificate and
 * its key in one file (`pem`).
 */
export const TLS_FILES = { ca: "ca.crt", cert: "node.crt", key: "node.key", pem: "node.pem" } as const;

/** `dir/file` with a single slash (dir comes from a provider: a data directory, a mount). */
export function tlsPath(dir: string, file: keyof typeof TLS_FILES): string {
    return `${dir.replace(/\/+$/, "")}/${TLS_FILES[file]}`;
}

/**
 * A node's files in its TLS directory as a TLS client of the deployment uses them: the CA, and
 * the node's certificate and key as the client certificate (node certificates carry client use).
 */
export function nodeTlsPaths(dir: string): { ca: string; cert: string; key: string } {
    return { ca: tlsPath(dir, "ca"), cert: tlsPath(dir, "cert"), key: tlsPath(dir, "key") };
}

/** A certificate and its private key, PEM. */
export interface CertificateAndKey {
    certificate: string;
    key: string;
}

/**
 * Checks `tls` (at the top level of the arguments) and returns it resolved. Secrets given as
 * plain strings are checked here; those given as Outputs are checked by the certificate
 * resource at preview, once their values are known (see certificateProblems).
 */
export function validateTls(check: FieldChecks, raw: unknown, provider: ProviderKind, proxied: boolean, now = new Date()): ResolvedTls {
    const value = check.object("tls", raw, "must be an object, e.g. tls: { enabled: true }");
    if (!value) return TLS_OFF;
    check.unknownFields(value, TLS_FIELDS, "tls");
    const enabled = check.flag("tls.enabled", value.enabled, false);
    const clientAuth = check.oneOf("tls.clientAuth", value.clientAuth, CLIENT_AUTH_MODES, "none");
    const renewBeforeDays = check.integer("tls.renewBeforeDays", value.renewBeforeDays, 1, 3650) ?? 30;
    const validityDays = check.integer("tls.validityDays", value.validityDays, 2, 3650) ?? 365;
    if (renewBeforeDays >= validityDays) {
        check.problem("tls.renewBeforeDays", `must be below tls.validityDays (${validityDays}), or every up would issue the certificates again`);
    }
    const serverNames = serverNamesOf(check, value.serverNames, proxied);
    const given = TLS_FIELDS.filter((f) => f !== "enabled" && value[f] !== undefined);
    if (!enabled) {
        if (given.length > 0) check.problem("tls.enabled", `is not true while tls.${given[0]} is set; add enabled: true (or remove tls.${given[0]})`);
        return TLS_OFF;
    }

    const { ca, caKey, certificates, certManagerIssuer } = value;
    let source: CertificateSource = "generated";
    let issuer: CertManagerIssuer | undefined;
    if (certManagerIssuer !== undefined) {
        source = "cert-manager";
        issuer = certManagerIssuerOf(check, certManagerIssuer, provider);
    }
    if (issuer) {
        if (caKey !== undefined || certificates !== undefined) {
            check.problem("tls.certManagerIssuer", `is given together with tls.${caKey !== undefined ? "caKey" : "certificates"}: cert-manager issues the pods' certificates, so the deployment needs neither a CA key nor certificates of its own; remove one`);
        }
        if (ca === undefined) check.problem("tls.ca", "is required with tls.certManagerIssuer: the issuer's CA certificate (PEM, public), which the nodes, the bootstrap and your clients check certificates against");
        if (clientAuth === "required") check.problem("tls.clientAuth", "\"required\" can not be used with tls.certManagerIssuer: the bootstrap, which runs where \`pulumi up\` runs, would need a client certificate, and cert-manager keeps its keys in the cluster; use \"optional\", or give tls.ca and tls.caKey instead of the issuer");
    } else if (certificates !== undefined) {
        source = "certificates";
        if (!isPlainObject(certificates)) check.problem("tls.certificates", "must map each node's name to { certificate, key }, e.g. { \"cache-s0-m0\": { certificate, key } }");
        else {
            for (const [node, pair] of Object.entries(certificates)) {
                if (!isPlainObject(pair) || pair.certificate === undefined || pair.key === undefined) {
                    check.problem(`tls.certificates.${node}`, "must be { certificate, key } (PEM; the key a secret)");
                    continue;
                }
                check.unknownFields(pair, ["certificate", "key"], `tls.certificates.${node}`);
                if (typeof pair.certificate === "string") {
                    const why = certificateProblems(pair.certificate, [], now);
                    if (why) check.problem(`tls.certificates.${node}.certificate`, why);
                }
            }
        }
        if (ca === undefined) check.problem("tls.ca", "is required with tls.certificates: the CA certificate that issued them, which every node and client checks its peers against");
    } else if (ca !== undefined || caKey !== undefined) {
        source = "ca";
        if (caKey === undefined) check.problem("tls.caKey", "is missing: tls.ca is given, and the deployment issues each node's certificate from that CA with its key. Give tls.caKey (a secret), or give tls.certificates for every node");
        if (ca === undefined) check.problem("tls.ca", "is missing: tls.caKey is given without the CA certificate it belongs to");
    }
    if (typeof ca === "string") {
        const why = certificateProblems(ca, [], now);
        if (why) check.problem("tls.ca", why);
    }
    if (clientAuth === "required" && source === "certificates" && caKey === undefined) {
        check.problem("tls.clientAuth", "\"required\" makes every connection present a client certificate, and the deployment's own clients (the bootstrap, HAProxy's checks) need one issued from tls.ca: give tls.caKey too, or use clientAuth \"optional\"");
    }
    return { enabled, clientAuth, source, renewBeforeDays, validityDays, serverNames, ...(issuer ? { certManagerIssuer: issuer } : {}) };
}

/** tls.serverNames: DNS names or IP addresses, only where HAProxy runs (they go on its certificates). */
function serverNamesOf(check: FieldChecks, raw: unknown, proxied: boolean): string[] {
    if (raw === undefined) return [];
    const example = "e.g. serverNames: [\"redis.example.internal\"]";
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_SERVER_NAMES) {
        check.problem("tls.serverNames", `must be a list of 1 to ${MAX_SERVER_NAMES} DNS names or IP addresses, ${example}`);
        return [];
    }
    const bad = raw.filter((n) => typeof n !== "string" || (!isIpAddress(n) && !DNS_NAME.test(n)));
    if (bad.length > 0) check.problem("tls.serverNames", `${bad.map((n) => JSON.stringify(n)).join(", ")} ${bad.length === 1 ? "is" : "are"} neither a DNS name (a wildcard only as the first label) nor an IP address, ${example}`);
    if (!proxied) check.problem("tls.serverNames", "are added to the HAProxy certificates, and this deployment runs no HAProxy (proxy.haproxy is off, or the mode has none): clients reach the members by the names the outputs give; remove tls.serverNames");
    return bad.length === 0 ? raw as string[] : [];
}

/** A DNS name for a certificate: letters, digits and '-' per label, optionally `*.` first. */
const DNS_NAME = /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/**
 * The names each node's certificate covers: where the provider reaches it (`reached`), plus
 * tls.serverNames on every proxy, for clients that come through a load balancer or a DNS name
 * of their own.
 */
export function certificateSubjects(tls: ResolvedTls, proxies: string[], reached: Record<string, string[]>): Record<string, string[]> {
    if (tls.serverNames.length === 0) return reached;
    return Object.fromEntries(Object.entries(reached).map(([node, names]) =>
        [node, proxies.includes(node) ? [...names, ...tls.serverNames.filter((n) => !names.includes(n))] : names]));
}

/** tls.certManagerIssuer: the issuer's name, or { name, kind } (kind Issuer, in the deployment's namespace, or ClusterIssuer). */
function certManagerIssuerOf(check: FieldChecks, raw: unknown, provider: ProviderKind): CertManagerIssuer | undefined {
    if (provider !== "kubernetes") {
        check.problem("tls.certManagerIssuer", `is read by the kubernetes provider only; this deployment uses "${provider}". Give tls.ca and tls.caKey, or leave them out to have certificates generated`);
        return undefined;
    }
    const fix = "must name a cert-manager issuer: \"my-issuer\" or { name: \"my-issuer\", kind: \"ClusterIssuer\" }";
    if (typeof raw === "string") {
        if (!DNS_SUBDOMAIN.test(raw)) { check.problem("tls.certManagerIssuer", fix); return undefined; }
        return { name: raw, kind: "Issuer" };
    }
    if (!isPlainObject(raw)) { check.problem("tls.certManagerIssuer", fix); return undefined; }
    check.unknownFields(raw, ["name", "kind"], "tls.certManagerIssuer");
    const kind = check.oneOf("tls.certManagerIssuer.kind", raw.kind, CERT_MANAGER_ISSUER_KINDS, "Issuer");
    if (typeof raw.name !== "string" || !DNS_SUBDOMAIN.test(raw.name)) {
        check.problem("tls.certManagerIssuer.name", "must be the issuer's name (lower case letters, digits, '-' and '.'), e.g. \"my-issuer\"");
        return undefined;
    }
    return { name: raw.name, kind };
}


export function isIpAddress(name: string): boolean {
    const net = require("net") as typeof import("net");
    return net.isIP(name) !== 0;
}

/**
 * Why `pem` can not serve a node reached at `names` (IP addresses or DNS names), or undefined:
 * not a certificate, expired (or not yet valid), or a subject alternative name that does not
 * cover one of the names. With `caPem`, also when it was not issued by that CA.
 */
export function certificateProblems(pem: string, names: string[], now = new Date(), caPem?: string): string | undefined {
    const { X509Certificate } = require("crypto") as typeof import("crypto");
    let cert: import("crypto").X509Certificate;
    try {
        cert = new X509Certificate(pem);
    } catch {
        return "is not a PEM certificate (-----BEGIN CERTIFICATE-----)";
    }
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() <= now.getTime()) return `expired on ${notAfter.toISOString().slice(0, 10)}; give a current certificate`;
    if (new Date(cert.validFrom).getTime() > now.getTime()) return `is not valid before ${new Date(cert.validFrom).toISOString()}`;
    const uncovered = names.filter((n) => (isIpAddress(n) ? cert.checkIP(n) === undefined : cert.checkHost(n, { subject: "never" }) === undefined));
    if (uncovered.length > 0) {
        return `its subject alternative names (${cert.subjectAltName ?? "none"}) do not cover ${uncovered.join(", ")}, where the node is reached; issue it with ${uncovered.map((n) => (isIpAddress(n) ? `IP:${n}` : `DNS:${n}`)).join(", ")}`;
    }
    if (caPem !== undefined) {
        try {
            if (!cert.verify(new X509Certificate(caPem).publicKey)) return "was not issued by tls.ca";
        } catch {
            return "was not issued by tls.ca";
        }
    }
    return undefined;
}

/** Why `keyPem` is not the private key of `certPem`, or undefined. */
export function keyMismatch(certPem: string, keyPem: string): string | undefined {
    const { X509Certificate, createPrivateKey } = require("crypto") as typeof import("crypto");
    try {
        return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)) ? undefined : "is not the private key of the certificate";
    } catch {
        return "is not a PEM private key";
    }
}

/** Days from `now` until `pem` expires (negative once expired). */
export function daysLeft(pem: string, now = new Date()): number {
    const { X509Certificate } = require("crypto") as typeof import("crypto");
    return (new Date(new X509Certificate(pem).validTo).getTime() - now.getTime()) / 86400000;
}

/** The certificates a deployment's nodes and its own clients use. */
export interface TlsMaterial {
    ca: string;
    /** Node name -> its certificate and key. */
    nodes: Record<string, CertificateAndKey>;
    /** The deployment's own client certificate (the bootstrap), when one could be issued. */
    client?: CertificateAndKey;
}

/** How the deployment's own clients (the bootstrap, status, the backup job) speak TLS: the CA and, when issued, the client certificate. */
export function clientTlsOf(material: { ca: string; client?: CertificateAndKey }): ClientTls {
    return { ca: material.ca, ...(material.client ? { certificate: material.client.certificate, key: material.client.key } : {}) };
}

/** A node's TLS directory: file name -> contents (the key and the PEM bundle are secret). */
export function nodeTlsFiles(material: TlsMaterial, node: string): Record<string, string> {
    const pair = material.nodes?.[node];
    // Nothing issued at all: a program under generic mocks (whose resources echo their inputs).
    if (!material.nodes || Object.keys(material.nodes).length === 0) return {};
    if (!pair) throw new Error(`no TLS certificate for node ${node}`);
    const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);
    return {
        [TLS_FILES.ca]: withNewline(material.ca),
        [TLS_FILES.cert]: withNewline(pair.certificate),
        [TLS_FILES.key]: withNewline(pair.key),
        [TLS_FILES.pem]: withNewline(pair.certificate) + withNewline(pair.key),
    };
}
