// TLS: each node's certificate directory. The CA and the node's certificate are public and
// travel in the script; the private key is read from the cloud's secret store (where the
// passwords are), never carried in user data. Only with tls.enabled.
import { TLS_FILES, nodeTlsPaths } from "../../../components/tls";
import { shellQuote as q } from "./shell";
import { VM_PATHS, type BootSection, type NodeTemplate } from "./types";

/** Where a node's certificate files live on its VM (configs name it under the root token). */
export function vmTlsDir(node: string): string {
    return `${VM_PATHS.etc}/tls/${node}`;
}

/**
 * A job's TLS files on a member's VM (the backup job): that member's own directory. Its node
 * certificate has client usage too, so the job presents it where tls.clientAuth asks for one;
 * the job runs as root, which may read the member's key.
 */
export function vmJobTlsFiles(member: string): { ca: string; cert: string; key: string } {
    return nodeTlsPaths(vmTlsDir(member));
}

/** The user a node's process runs as: it alone may read the key. */
function ownerOf(node: NodeTemplate): string {
    return node.kind === "haproxy" ? "haproxy:haproxy" : "redis:redis";
}

export const tlsFilesSection: BootSection = {
    name: "tls files",
    functions: (ctx) => !ctx.tls ? "" : `# rd_tls_files NODE OWNER KEY_REF CA CERTIFICATE: the node's TLS directory (mode 0700, its
# user's): the CA and its certificate as given, its private key read from the secret store
# (stored base64: one line), and the certificate with its key in one file for HAProxy.
rd_tls_files() {
    local node=$1 owner=$2 ref=$3 ca=$4 certificate=$5 dir="$RD_ROOT$RD_ETC/tls/$1" encoded
    if ! encoded=$(rd_retry "$RD_SECRET_ATTEMPTS" 5 rd_cloud_secret "$ref"); then
        rd_fail "could not read the TLS key of $node ($ref) from ${ctx.hooks.secretStore}"
    fi
    mkdir -p "$dir"
    chmod 0700 "$dir"
    chown "$owner" "$dir"
    (
        umask 077
        printf '%s\\n' "$ca" >"$dir/${TLS_FILES.ca}.rd-new"
        printf '%s\\n' "$certificate" >"$dir/${TLS_FILES.cert}.rd-new"
        printf '%s' "$encoded" | base64 -d >"$dir/${TLS_FILES.key}.rd-new"
    ) || rd_fail "$node: could not write its TLS files"
    grep -q 'PRIVATE KEY-----' "$dir/${TLS_FILES.key}.rd-new" || rd_fail "$node: the TLS key read from $ref is not a PEM private key"
    cat "$dir/${TLS_FILES.cert}.rd-new" "$dir/${TLS_FILES.key}.rd-new" >"$dir/${TLS_FILES.pem}.rd-new"
    local file
    for file in ${TLS_FILES.ca} ${TLS_FILES.cert} ${TLS_FILES.key} ${TLS_FILES.pem}; do
        chmod 0600 "$dir/$file.rd-new"
        chown "$owner" "$dir/$file.rd-new"
        mv -f "$dir/$file.rd-new" "$dir/$file"
    done
}`,
    nodeSteps: (ctx, node) => {
        if (!ctx.tls) return [];
        const ref = ctx.tls.keyRefs[node.name];
        const certificate = ctx.tls.certificates[node.name];
        if (!ref || !certificate) throw new Error(`host ${ctx.placed.host.name}: no TLS certificate or key reference for ${node.name}`);
        return [`rd_tls_files ${q(node.name)} ${ownerOf(node)} ${q(ref)} ${q(ctx.tls.ca.trim())} ${q(certificate.trim())}`];
    },
};
