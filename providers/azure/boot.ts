// The Azure side of the shared boot script: secrets from Key Vault with the VM's user-assigned
// managed identity (a token from IMDS, the secret from the vault's REST API, both with curl and
// jq from Debian), the boot script itself from the VM's user data (IMDS), and the device paths
// of a managed disk at a LUN.
//
// Custom data is only the small, fixed launcher below: Azure can not change a VM's custom data
// after creation, but it can change its user data, so the boot script travels as user data,
// where a changed configuration replaces it in place and the next boot (rd_refresh) runs it.
import * as zlib from "zlib";
import type { CloudHooks } from "../vm/bootScript";

const IMDS = "http://169.254.169.254/metadata";
/** IMDS URL of this VM's user data (base64). */
export const IMDS_USER_DATA_URL = `${IMDS}/instance/compute/userData?api-version=2021-01-01&format=text`;
/** Azure takes at most 64 KiB of base64 user data; larger scripts are sent gzip-compressed. */
export const USER_DATA_LIMIT = 65536;
/** Role assignments can take minutes to reach Key Vault: a new VM retries reading its secrets for 10 minutes. */
export const AZURE_SECRET_ATTEMPTS = 120;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VAULT_URI = /^https:\/\/[a-z0-9-]{3,24}\.(vault\.azure\.net|vault\.azure\.cn|vault\.usgovcloudapi\.net)\/?$/i;

/**
 * Reads a secret (REF = the secret's URL in the vault) with the identity `clientId`: IMDS hands
 * out a token for Key Vault, which goes to curl on stdin (never on a command line).
 */
export function azureBootHooks(identityClientId: string, vaultUri: string): CloudHooks {
    if (!GUID.test(identityClientId)) throw new Error(`not a managed identity client id: ${JSON.stringify(identityClientId)}`);
    const vault = VAULT_URI.exec(vaultUri);
    if (!vault) throw new Error(`not a Key Vault URI: ${JSON.stringify(vaultUri)}`);
    const resource = encodeURIComponent(`https://${vault[1].toLowerCase()}`);
    return {
        cloud: "azure",
        secretStore: "Azure Key Vault",
        packages: ["curl", "jq"],
        secretFunction: [
            "local token",
            `token=$(curl -sf -m 10 -H Metadata:true '${IMDS}/identity/oauth2/token?api-version=2018-02-01&resource=${resource}&client_id=${identityClientId.toLowerCase()}' | jq -er .access_token) || return 1`,
            `printf 'Authorization: Bearer %s\\n' "$token" | curl -sf -m 10 -H @- "$1?api-version=7.4" | jq -er .value`,
        ].join("\n"),
        userDataFunction: `curl -sf -m 10 -H Metadata:true '${IMDS_USER_DATA_URL}' | base64 -d`,
        // Azure puts secondary IP configurations on the NIC, but Debian's guest configures only
        // the primary address it gets by DHCP.
        addAddresses: true,
        secretAttempts: AZURE_SECRET_ATTEMPTS,
    };
}

/** The URL of a secret in the vault, without a version (the current one is read). */
export function keyVaultSecretUrl(vaultUri: string, secretName: string): string {
    return `${vaultUri.replace(/\/$/, "")}/secrets/${secretName}`;
}

/**
 * Where a data disk at `lun` shows up: Azure's udev rules (waagent / azure-vm-utils) link
 * SCSI disks as /dev/disk/azure/scsi1/lun<N> and, on newer images and NVMe sizes, as
 * /dev/disk/azure/data/by-lun/<N>. The LUN is fixed per member, so the path is stable.
 */
export function azureDiskDevices(lun: number): string[] {
    if (!Number.isInteger(lun) || lun < 0 || lun > 63) throw new RangeError(`a LUN is 0 to 63, got ${lun}`);
    return [`/dev/disk/azure/data/by-lun/${lun}`, `/dev/disk/azure/scsi1/lun${lun}`];
}

/** User data as Azure takes it: base64, of the gzip-compressed script when the plain one is too large. */
export function encodeAzureUserData(script: string): string {
    const plain = Buffer.from(script).toString("base64");
    if (plain.length <= USER_DATA_LIMIT) return plain;
    const packed = zlib.gzipSync(Buffer.from(script), { level: 9 }).toString("base64");
    if (packed.length > USER_DATA_LIMIT) throw new Error(`the boot script is ${packed.length} bytes of base64 even compressed, more than Azure's ${USER_DATA_LIMIT}; lower azure.membersPerVm`);
    return packed;
}

/** The boot script in a VM's user data, whichever way it was encoded. */
export function decodeAzureUserData(userData: string): string {
    const raw = Buffer.from(userData, "base64");
    return (raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw).toString();
}

/**
 * The custom data of every VM (cloud-init runs it at the first boot): fetch the boot script
 * from IMDS user data, unpack it, run it. It holds nothing of the deployment, so it never changes.
 */
export const AZURE_LAUNCHER = `#!/bin/bash
# redis-deployment launcher (Azure custom data, run once by cloud-init): this VM's boot script is
# its user data, read from the instance metadata service; it installs itself and runs at every boot.
set -euo pipefail
script=$(mktemp)
for attempt in $(seq 1 60); do
    if curl -sf -m 10 -H Metadata:true '${IMDS_USER_DATA_URL}' | base64 -d >"$script" && [[ -s $script ]]; then break; fi
    echo "redis-deployment: user data not readable yet (attempt $attempt)" >&2
    sleep 5
done
[[ -s $script ]] || { echo "redis-deployment: no user data from the instance metadata service" >&2; exit 1; }
if gzip -t "$script" 2>/dev/null; then
    gzip -dc "$script" >"$script.sh"
    rm -f "$script"
else
    mv "$script" "$script.sh"
fi
exec bash "$script.sh" "$@"
`;
