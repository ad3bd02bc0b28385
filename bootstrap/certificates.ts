// Issuing X.509 certificates: the deployment's CA and one certificate per node. Serialized by
// value into the TlsCertificates resource (docs/architecture.md, "Code that Pulumi
// serializes"): node-forge and crypto are required inside. Keys are RSA 2048, made by Node's
// native crypto (fast); node-forge builds and signs the certificates.
import type { CertificateAndKey } from "../components/tls";

/** Whoever a certificate is for: its common name and the names it is reached at (IPs or DNS names). */
export interface CertificateSubject {
    commonName: string;
    names: string[];
}

function newKeyPair(): { publicPem: string; privatePem: string } {
    const { generateKeyPairSync } = require("crypto") as typeof import("crypto");
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return {
        publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
        privatePem: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    };
}

/** 16 random bytes, the first with its top bit clear (serials are positive). */
function serialNumber(): string {
    const { randomBytes } = require("crypto") as typeof import("crypto");
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    return bytes.toString("hex");
}

/** Valid from a minute ago (clock skew between this machine and the nodes) for `days`. */
function validity(days: number, now: Date): { notBefore: Date; notAfter: Date } {
    return { notBefore: new Date(now.getTime() - 60000), notAfter: new Date(now.getTime() + days * 86400000) };
}

/** An RSA private key in any PEM form (PKCS#1, PKCS#8) as PKCS#1, the form node-forge reads; throws for other key types. */
export function rsaKeyPem(pem: string): string {
    const { createPrivateKey } = require("crypto") as typeof import("crypto");
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error(`tls.caKey: the CA key is ${key.asymmetricKeyType}; the deployment issues certificates with an RSA CA key`);
    return key.export({ type: "pkcs1", format: "pem" }).toString();
}

/** A self-signed CA certificate and its key. */
export function issueCa(commonName: string, days: number, now = new Date()): CertificateAndKey {
    const forge = require("node-forge") as typeof import("node-forge");
    const keys = newKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
    cert.serialNumber = serialNumber();
    Object.assign(cert.validity, validity(days, now));
    const subject = [{ name: "commonName", value: commonName }, { name: "organizationName", value: "redis-deployment" }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
        { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
    return { certificate: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/**
 * A certificate for `subject` issued by `ca`: server and client use (a node's certificate also
 * authenticates its outgoing links), each of `subject.names` as a subject alternative name.
 */
export function issueCertificate(ca: CertificateAndKey, subject: CertificateSubject, days: number, now = new Date()): CertificateAndKey {
    const forge = require("node-forge") as typeof import("node-forge");
    const net = require("net") as typeof import("net");
    const caCert = forge.pki.certificateFromPem(ca.certificate);
    const keys = newKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
    cert.serialNumber = serialNumber();
    Object.assign(cert.validity, validity(days, now));
    cert.setSubject([{ name: "commonName", value: subject.commonName }, { name: "organizationName", value: "redis-deployment" }]);
    cert.setIssuer(caCert.subject.attributes);
    const altNames = subject.names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
    cert.setExtensions([
        { name: "basicConstraints", cA: false, critical: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true, clientAuth: true },
        ...(altNames.length > 0 ? [{ name: "subjectAltName", altNames }] : []),
        { name: "subjectKeyIdentifier" },
        { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(rsaKeyPem(ca.key)), forge.md.sha256.create());
    return { certificate: forge.pki.certificateToPem(cert), key: keys.privatePem };
}
