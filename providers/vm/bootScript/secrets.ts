// The secrets the nodes' configs use, read from the cloud's secret store at boot (through the
// cloud hook rd_cloud_secret); the script itself holds only where they are stored.
import type { BootSection } from "./types";

export const secretsSection: BootSection = {
    name: "secrets",
    functions: ({ hooks }) => `# rd_secrets KEY...: reads each secret from the secret store (retrying: the VM's permissions
# can take a moment to apply). Values are checked like the deployment's arguments.
rd_secrets() {
    local key value
    for key in "$@"; do
        if ! value=$(rd_retry "$RD_SECRET_ATTEMPTS" 5 rd_cloud_secret "\${RD_SECRET_REF[$key]}"); then
            rd_fail "could not read the $key secret \${RD_SECRET_REF[$key]} from ${hooks.secretStore}"
        fi
        case $value in
            '' | *[[:space:]\\"\\'\\\\]*) rd_fail "the $key secret \${RD_SECRET_REF[$key]} is empty or holds whitespace, quotes or backslashes" ;;
        esac
        RD_SECRET[$key]=$value
    done
}`,
    steps: (ctx) => {
        const unreferenced = ctx.secrets.filter((k) => !ctx.secretRefs[k]);
        if (unreferenced.length > 0) throw new Error(`host ${ctx.placed.host.name}: the configs use the ${unreferenced.join(", ")} secret(s), which have no entry in ${ctx.hooks.secretStore}`);
        return ctx.secrets.length > 0 ? [`rd_secrets ${ctx.secrets.join(" ")}`] : [];
    },
};
