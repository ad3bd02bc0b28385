// The GCP side of the shared boot script: the VM's startup script, run by the guest agent at
// every boot with the current metadata; secrets from Secret Manager through its REST API with
// the VM's service account token from the metadata server (curl only: no gcloud needed); the
// device path of a persistent disk by its device name.
//
// Alias IPs: GCP routes a VM's alias IP ranges to it, and the guest agent makes them local on
// the VM (`ip route add to local <ip> ... proto 66` in the local table) once it has read the
// metadata. A node can bind such an address without `ip addr add` (which would make the
// agent's route clash), but only once the route exists: the script waits for it.
import type { CloudHooks } from "../vm/bootScript";

const METADATA = "http://metadata.google.internal/computeMetadata/v1";

export function gcpBootHooks(): CloudHooks {
    return {
        cloud: "gcp",
        secretStore: "GCP Secret Manager",
        packages: ["curl"],
        // $1 is a secret's resource name (projects/P/secrets/S); the payload comes base64-encoded.
        secretFunction: [
            "local token data",
            `token=$(curl -sf -m 10 -H 'Metadata-Flavor: Google' ${METADATA}/instance/service-accounts/default/token | sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p')`,
            "[[ -n $token ]] || return 1",
            `data=$(curl -sf -m 20 -H "Authorization: Bearer $token" "https://secretmanager.googleapis.com/v1/$1/versions/latest:access" | sed -n 's/.*"data" *: *"\\([^"]*\\)".*/\\1/p')`,
            "[[ -n $data ]] || return 1",
            "printf '%s' \"$data\" | base64 -d",
        ].join("\n"),
        addAddresses: false,
        awaitAddresses: true,
        runByCloudAtEveryBoot: true,
    };
}

/** Where a persistent disk attached with `deviceName` shows up (udev rules of GCE images; SCSI and NVMe names as fallbacks). */
export function gcpDiskDevices(deviceName: string): string[] {
    return [
        `/dev/disk/by-id/google-${deviceName}`,
        `/dev/disk/by-id/scsi-0Google_PersistentDisk_${deviceName}`,
        `/dev/disk/by-id/nvme-Google_PersistentDisk_${deviceName}`,
    ];
}
