// The deployment's TLS certificates as a Pulumi dynamic resource: a CA (generated, or the
// user's) and one certificate per node with the names the node is reached at as subject
// alternative names, plus a client certificate for the deployment's own clients (the
// bootstrap). Kept in state as secrets. `up` issues a certificate again when its names change
// or it expires within renewBeforeDays; the user's own certificates are checked, never issued.
import * as pulumi from "@pulumi/pulumi";
import { certificateProblems, daysLeft, keyMismatch, type CertificateAndKey, type ClientAuth } from "../components/tls";
import { changedInputs } from "./converging";
import { issueCa, issueCertificate } from "./certificates";

/** Lifetime of a generated CA: well past any node certificate it issues. */
export const CA_VALIDITY_DAYS = 3650;
/** The common name of the deployment's own client certificate. */
export const CLIENT_COMMON_NAME = "rd-client";

export interface TlsNode {
    name: string;
    /** IP addresses and DNS names the node is reached at. */
    names: string[];
}

export interface TlsCertificatesInputs {
    deployment: string;
    nodes: TlsNode[];
    clientAuth: ClientAuth;
    validityDays: number;
    renewBeforeDays: number;
    /** The user's CA and its key (issue from it); absent: a CA is generated. */
    ca?: string;
    caKey?: string;
    /** The user's own certificate per node (then `ca` is the CA that issued them). */
    certificates?: Record<string, CertificateAndKey>;
}

export interface TlsCertificatesOutputs extends TlsCertificatesInputs {
    caCertificate: string;
    /** Empty when only the user's certificates are used (no CA key). */
    caPrivateKey: string;
    /** Node name -> certificate and key. */
    issued: Record<string, CertificateAndKey>;
    /** The deployment's own client certificate, when a CA key is at hand. */
    client?: CertificateAndKey;
}

/** A value the engine does not know yet (preview before the nodes' addresses exist). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function known(value: unknown): boolean {
    return value !== undefined && value !== UNKNOWN && !(Array.isArray(value) && value.some((v) => !known(v)));
}

/** Why the user's certificates or CA can not be used for these nodes: one line per problem. */
export function givenCertificateProblems(inputs: TlsCertificatesInputs, now = new Date()): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    const { ca, caKey, certificates } = inputs;
    if (typeof ca === "string") {
        const why = certificateProblems(ca, [], now);
        if (why) failures.push({ property: "ca", reason: `tls.ca ${why}` });
        else if (typeof caKey === "string") {
            const mismatch = keyMismatch(ca, caKey);
            if (mismatch) failures.push({ property: "caKey", reason: `tls.caKey ${mismatch} tls.ca` });
        }
    }
    if (certificates === undefined || !known(ca)) return failures;
    for (const node of known(inputs.nodes) ? inputs.nodes : []) {
        const pair = certificates[node.name];
        if (!pair) {
            failures.push({ property: "certificates", reason: `tls.certificates has no certificate for the node "${node.name}"; give one for every node: ${inputs.nodes.map((n) => n.name).join(", ")}` });
            continue;
        }
        if (!known(pair.certificate) || !known(node.names)) continue;
        const why = certificateProblems(pair.certificate, node.names, now, ca);
        if (why) failures.push({ property: "certificates", reason: `tls.certificates.${node.name}.certificate ${why}` });
        else if (known(pair.key)) {
            const mismatch = keyMismatch(pair.certificate, pair.key);
            if (mismatch) failures.push({ property: "certificates", reason: `tls.certificates.${node.name}.key ${mismatch}` });
        }
    }
    return failures;
}

/** Whether a certificate the deployment issued must be issued again now. */
function dueForRenewal(pair: CertificateAndKey | undefined, renewBeforeDays: number, now: Date): boolean {
    return pair === undefined || daysLeft(pair.certificate, now) <= renewBeforeDays;
}

/**
 * Makes the outputs for `news`, keeping from `olds` every certificate that still fits: same CA,
 * same names, not due for renewal.
 */
export function issueAll(news: TlsCertificatesInputs, olds?: TlsCertificatesOutputs, now = new Date()): TlsCertificatesOutputs {
    if (news.certificates) {
        const issued = Object.fromEntries(news.nodes.map((n) => [n.name, news.certificates![n.name]]));
        const caPair = news.caKey ? { certificate: news.ca!, key: news.caKey } : undefined;
        const keepClient = olds?.client && olds.caCertificate === news.ca && !dueForRenewal(olds.client, news.renewBeforeDays, now);
        const client = caPair ? (keepClient ? olds!.client : issueCertificate(caPair, { commonName: CLIENT_COMMON_NAME, names: [] }, news.validityDays, now)) : undefined;
        return { ...news, caCertificate: news.ca!, caPrivateKey: news.caKey ?? "", issued, ...(client ? { client } : {}) };
    }
    let ca: CertificateAndKey;
    if (news.ca && news.caKey) ca = { certificate: news.ca, key: news.caKey };
    else if (olds && !olds.ca && olds.caPrivateKey && daysLeft(olds.caCertificate, now) > news.validityDays) ca = { certificate: olds.caCertificate, key: olds.caPrivateKey };
    else ca = issueCa(`${news.deployment} CA`, CA_VALIDITY_DAYS, now);
    const sameCa = olds?.caCertificate === ca.certificate;
    const previous = (name: string, names: string[]) => {
        const before = sameCa ? olds?.issued?.[name] : undefined;
        const sameNames = JSON.stringify(olds?.nodes.find((n) => n.name === name)?.names) === JSON.stringify(names);
        return before && sameNames && !dueForRenewal(before, news.renewBeforeDays, now) ? before : undefined;
    };
    const issued = Object.fromEntries(news.nodes.map((n) => [n.name,
        previous(n.name, n.names) ?? issueCertificate(ca, { commonName: n.name, names: n.names }, news.validityDays, now)]));
    const client = sameCa && olds?.client && !dueForRenewal(olds.client, news.renewBeforeDays, now)
        ? olds.client
        : issueCertificate(ca, { commonName: CLIENT_COMMON_NAME, names: [] }, news.validityDays, now);
    return { ...news, caCertificate: ca.certificate, caPrivateKey: ca.key, issued, client };
}

/** Whether any certificate in state expires within renewBeforeDays (only those the deployment issues). */
export function renewalDue(olds: TlsCertificatesOutputs, renewBeforeDays: number, now = new Date()): boolean {
    const ours = olds.certificates ? [] : Object.values(olds.issued ?? {});
    if (olds.client) ours.push(olds.client);
    return ours.some((pair) => dueForRenewal(pair, renewBeforeDays, now));
}

export const tlsCertificatesProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: TlsCertificatesInputs, news: TlsCertificatesInputs) {
        const failures = givenCertificateProblems(news);
        return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    },
    async diff(_id: string, olds: TlsCertificatesOutputs, news: TlsCertificatesInputs) {
        const changed = changedInputs(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>,
            ["__provider", "caCertificate", "caPrivateKey", "issued", "client"]);
        return { changes: changed.length > 0 || renewalDue(olds, news.renewBeforeDays) };
    },
    async create(inputs: TlsCertificatesInputs) {
        const { randomBytes } = require("crypto") as typeof import("crypto");
        return { id: randomBytes(8).toString("hex"), outs: issueAll(inputs) };
    },
    async update(_id: string, olds: TlsCertificatesOutputs, news: TlsCertificatesInputs) {
        return { outs: issueAll(news, olds) };
    },
};

export type TlsCertificatesArgs = { [K in keyof TlsCertificatesInputs]: pulumi.Input<TlsCertificatesInputs[K]> };

/** The deployment's CA, node certificates and client certificate (private keys are secrets in state). */
export class TlsCertificates extends pulumi.dynamic.Resource {
    declare readonly caCertificate: pulumi.Output<string>;
    declare readonly issued: pulumi.Output<Record<string, CertificateAndKey>>;
    declare readonly client: pulumi.Output<CertificateAndKey | undefined>;
    constructor(name: string, args: TlsCertificatesArgs, opts?: pulumi.CustomResourceOptions) {
        super(tlsCertificatesProvider, name, { ...args, caCertificate: undefined, caPrivateKey: undefined, issued: undefined, client: undefined },
            { ...opts, additionalSecretOutputs: ["caKey", "certificates", "caPrivateKey", "issued", "client"] }, "redis-deployment", "TlsCertificates");
    }
}
