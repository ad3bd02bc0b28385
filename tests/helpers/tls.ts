// Helpers for the TLS tests.
import * as net from "net";
import { issueAll } from "../../bootstrap/tlsCertificates";
import { TLS_FILES, nodeTlsFiles, type TlsMaterial } from "../../components/tls";
import type { TopologyPlan } from "../../components/types";

/**
 * Certificates issued the way the TlsCertificates resource issues them, for a test's own nodes:
 * a CA, one certificate per node for the names it is reached at (`subjects`), a client
 * certificate; and the CA's key (to issue a renewed certificate).
 */
export function issueTestTls(deployment: string, tls: TopologyPlan["args"]["tls"], subjects: Record<string, string[]>): { material: TlsMaterial; caKey: string } {
    const issued = issueAll({
        deployment, clientAuth: tls.clientAuth, validityDays: tls.validityDays, renewBeforeDays: tls.renewBeforeDays,
        nodes: Object.entries(subjects).map(([name, names]) => ({ name, names })),
    });
    return { material: { ca: issued.caCertificate, nodes: issued.issued, client: issued.client }, caKey: issued.caPrivateKey };
}

/** A Kubernetes pod's files in the tls volume (ca.crt, node.crt, node.key), from the node's certificates. */
export function podTlsFiles(material: TlsMaterial, node: string): Record<string, string> {
    const files = nodeTlsFiles(material, node);
    return { [TLS_FILES.ca]: files[TLS_FILES.ca], [TLS_FILES.cert]: files[TLS_FILES.cert], [TLS_FILES.key]: files[TLS_FILES.key] };
}

/** Plaintext to a TLS-only port: the reply to PING, or why there was none. */
export function plaintextPing(host: string, port: number): Promise<string> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        let got = "";
        const done = (why: string) => { socket.destroy(); resolve(got || why); };
        const timer = setTimeout(() => done("no reply"), 3000);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d) => { got += d.toString(); });
        socket.on("error", (e) => { clearTimeout(timer); done(e.message); });
        socket.on("close", () => { clearTimeout(timer); done("closed"); });
    });
}
