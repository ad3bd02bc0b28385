// At later boots the script first checks the VM's current user data: a changed configuration
// arrives as new user data, which is installed and run instead of the installed copy.
import type { BootSection } from "./types";

export const refreshSection: BootSection = {
    name: "refresh",
    functions: () => `# At later boots: when the VM's user data changed (a configuration change), install it and run it instead.
rd_refresh() {
    declare -F rd_cloud_user_data >/dev/null || return 0
    local raw new
    raw=$(mktemp)
    new=$(mktemp)
    if ! rd_retry 5 3 rd_save_user_data "$raw"; then
        rd_log "could not read the current user data; running the installed boot script"
        rm -f "$raw" "$new"
        return 0
    fi
    if gzip -t "$raw" 2>/dev/null; then gzip -dc "$raw" >"$new"; else cp "$raw" "$new"; fi
    rm -f "$raw"
    if grep -qxF "readonly RD_HOST=$RD_HOST" "$new" && ! cmp -s "$new" "$RD_ROOT$RD_SELF"; then
        rd_log "the user data changed: installing and running it"
        install -m 0700 "$new" "$RD_ROOT$RD_SELF"
        rm -f "$new"
        exec bash "$RD_ROOT$RD_SELF" --refreshed
    fi
    rm -f "$new"
}
rd_save_user_data() { rd_cloud_user_data >"$1"; }`,
    preflight: () => ["if [[ ${1:-} == --refresh ]]; then rd_refresh; fi"],
};
