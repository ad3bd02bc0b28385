// A member's data disk: awaited, formatted only when empty, mounted and grown, before the
// member's config is written onto it.
import { shellQuote as q } from "./shell";
import type { BootSection } from "./types";

export const disksSection: BootSection = {
    name: "disks",
    functions: () => `# rd_disk MEMBER DEVICE...: waits for the member's data disk (attached after the VM starts),
# formats it only when it holds no filesystem at all, mounts it and grows the filesystem.
rd_disk() {
    local name=$1 mnt="$RD_ROOT$RD_DATA/$1" device='' candidate waited status fstype
    shift
    for ((waited = 0; waited <= RD_DISK_TIMEOUT; waited += 2)); do
        for candidate in "$@"; do
            if [[ -e $RD_ROOT$candidate ]]; then
                device=$(readlink -f "$RD_ROOT$candidate")
                break 2
            fi
        done
        sleep 2
    done
    [[ -n $device ]] || rd_fail "the data disk of $name did not appear within $RD_DISK_TIMEOUT s (looked for $*)"
    status=0
    fstype=$(blkid -p -s TYPE -o value "$device") || status=$?
    if ((status == 2)); then
        rd_log "formatting the empty data disk of $name ($device)"
        mkfs.ext4 -q -m 0 -L rd-data "$device"
    elif ((status != 0)); then
        rd_fail "blkid could not read $device (status $status); not formatting the data disk of $name"
    elif [[ $fstype != ext4 ]]; then
        rd_fail "$device (data disk of $name) holds '$fstype', not an ext4 filesystem; leaving it alone"
    fi
    mkdir -p "$mnt"
    if ! mountpoint -q "$mnt"; then mount -t ext4 -o noatime "$device" "$mnt"; fi
    resize2fs "$device" >/dev/null 2>&1 || rd_log "could not grow the filesystem on $device; keeping its size"
    chown redis:redis "$mnt"
    chmod 0750 "$mnt"
}`,
    nodeSteps: (ctx, node) => {
        if (node.kind !== "redis") return [];
        const devices = ctx.disks[node.name];
        if (!devices || devices.length === 0) throw new Error(`no data disk devices for member ${node.name}`);
        return [`rd_disk ${q(node.name)} ${devices.map(q).join(" ")}`];
    },
};
