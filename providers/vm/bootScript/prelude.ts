// The head of the boot script: what it is, the shell options, its settings (tunables that tests
// override from the environment, then constants) and the helpers every section uses.
import { STORED_SECRETS, type StoredSecret } from "../../../components/types";
import { PLACEHOLDERS, ROOT_TOKEN, placeholderHashes } from "../secrets";
import { shellQuote as q } from "./shell";
import { VM_PATHS, type BootContext, type BootSection } from "./types";

/** `declare -A NAME=([key]=value ...)` of the secret keys that have a value, in STORED_SECRETS order. */
function assoc(name: string, values: Partial<Record<StoredSecret, string>>): string {
    return `declare -A ${name}=(${STORED_SECRETS.filter((k) => values[k] !== undefined).map((k) => `[${k}]=${q(values[k]!)}`).join(" ")})`;
}

/**
 * How members restart. Without persistence a member that restarts comes back empty. Members
 * restart on their own only when they keep their data; with persistence off a stopped master is
 * left stopped in replication mode (no failover would replace it, and an empty master wipes its
 * replicas).
 */
export function memberRestart(plan: BootContext["plan"]): { restart: "always" | "no"; guardEmptyMaster: boolean } {
    const { args } = plan;
    const persistent = args.persistence.aof || args.persistence.rdb;
    return { restart: persistent ? "always" : "no", guardEmptyMaster: args.mode === "replication" && !persistent && plan.members.length > 1 };
}

export const preludeSection: BootSection = {
    name: "prelude",
    functions: (ctx) => {
        const { plan, hooks } = ctx;
        const { args } = plan;
        const host = ctx.placed.host;
        const { restart, guardEmptyMaster } = memberRestart(plan);
        const hashes = placeholderHashes();
        return `#!/bin/bash
# redis-deployment boot script: host ${host.name} of deployment ${args.name} (${hooks.cloud}, zone ${host.zone}).
# Runs as root at the first boot (user data) and at every later boot (${hooks.runByCloudAtEveryBoot ? `by the ${hooks.cloud} guest agent` : VM_PATHS.bootUnit}).
# It holds no password: the secrets are read from ${hooks.secretStore} at boot and put into the
# configs in place of placeholders (and their SHA-256 hashes, for the ACL lines).
# RD_ROOT prefixes every path the script writes (tests run it into a temporary directory).
set -euo pipefail
umask 077

RD_ROOT=\${RD_ROOT:-}
RD_DISK_TIMEOUT=\${RD_DISK_TIMEOUT:-900}
RD_SECRET_ATTEMPTS=\${RD_SECRET_ATTEMPTS:-${hooks.secretAttempts ?? 30}}
RD_ADDRESS_TIMEOUT=\${RD_ADDRESS_TIMEOUT:-300}
readonly RD_DEPLOYMENT=${q(args.name)}
readonly RD_HOST=${q(host.name)}
readonly RD_DATA=${q(VM_PATHS.data)}
readonly RD_ETC=${q(VM_PATHS.etc)}
readonly RD_SELF=${q(VM_PATHS.self)}
readonly RD_ROOT_TOKEN=${q(ROOT_TOKEN)}
readonly RD_BOOT_UNIT=${q(VM_PATHS.bootUnit)}
readonly RD_MEMBER_RESTART=${restart}
readonly RD_GUARD_EMPTY_MASTER=${guardEmptyMaster ? 1 : 0}
${assoc("RD_SECRET_REF", ctx.secretRefs)}
${assoc("RD_PLACEHOLDER", PLACEHOLDERS)}
${assoc("RD_PLACEHOLDER_SHA256", hashes)}
declare -A RD_SECRET=()
RD_UNITS=()

rd_log() { printf 'redis-deployment[%s]: %s\\n' "$RD_HOST" "$*" >&2; }
rd_fail() { rd_log "error: $*"; exit 1; }

# rd_retry ATTEMPTS DELAY COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times.
rd_retry() {
    local attempts=$1 delay=$2 i
    shift 2
    for ((i = 1; i <= attempts; i++)); do
        if "$@"; then return 0; fi
        if ((i < attempts)); then sleep "$delay"; fi
    done
    return 1
}`;
    },
};
