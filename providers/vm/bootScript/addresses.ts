// The nodes' own addresses: added to the VM's interface where the cloud does not, and awaited
// where the cloud's guest agent makes them local some time after boot.
import { shellQuote as q } from "./shell";
import type { BootContext, BootSection } from "./types";

export const addressesSection: BootSection = {
    name: "addresses",
    functions: () => `# rd_addresses ADDRESS...: adds each node address to the interface of the default route.
rd_addresses() {
    local dev='' address current i
    for ((i = 0; i < 60; i++)); do
        dev=$(ip -o -4 route show to default | awk 'NR == 1 { print $5 }')
        if [[ -n $dev ]]; then break; fi
        sleep 2
    done
    [[ -n $dev ]] || rd_fail "no default route: can not tell which interface carries the node addresses"
    for address in "$@"; do
        # Read first, then match: grep -q closing a pipe early could fail the pipeline.
        current=$(ip -o -4 addr show dev "$dev")
        if [[ $current != *" $address/"* ]]; then
            ip addr add "$address/32" dev "$dev"
            rd_log "added $address/32 to $dev"
        fi
    done
}

# rd_await_addresses ADDRESS...: waits until each node address is local to this VM (the cloud's
# guest agent routes them to it some time after boot); a node can bind its address then.
rd_await_addresses() {
    local address waited
    for address in "$@"; do
        for ((waited = 0; ; waited += 2)); do
            if [[ $(ip -4 -o route get "$address" 2>/dev/null) == "local $address "* ]]; then break; fi
            ((waited < RD_ADDRESS_TIMEOUT)) || rd_fail "$address did not become local to this VM within $RD_ADDRESS_TIMEOUT s (is it on the VM's network interface?)"
            sleep 2
        done
    done
}`,
    steps: (ctx: BootContext) => {
        const steps: string[] = [];
        const addresses = ctx.nodes.map((n) => q(n.address)).join(" ");
        if (ctx.hooks.addAddresses) steps.push(`rd_addresses ${addresses}`);
        // A load balancer's address is the cloud's to route; the nodes only bind it, once it is local.
        if (ctx.hooks.awaitAddresses) steps.push(`rd_await_addresses ${[addresses, ...(ctx.alsoListenOn ?? []).map(q)].join(" ")}`);
        return steps;
    },
};
