// What GCP computes that the GCP provider reads back: a mock's `newResource` must return the
// outputs of COMPUTED_OUTPUTS (besides the inputs); those of DERIVED_OUTPUTS are derived from the
// inputs and the GCP project (the `gcp:project` configuration) when they are missing.
import * as pulumi from "@pulumi/pulumi";
import type { ComputedOutputs, DerivedOutputs } from "../vm/computed";

export const GCP_TYPES = {
    address: "gcp:compute/address:Address",
    instance: "gcp:compute/instance:Instance",
    instanceGroup: "gcp:compute/instanceGroup:InstanceGroup",
    serviceAccount: "gcp:serviceaccount/account:Account",
    secret: "gcp:secretmanager/secret:Secret",
} as const;

/** Type token -> the outputs a mock must return for it (ids come from every mock anyway). */
export const COMPUTED_OUTPUTS: ComputedOutputs = {
    // GCP picks every reserved internal address (the nodes', the load balancer's) in its subnetwork.
    [GCP_TYPES.address]: ["address"],
    // The generation (a replaced VM re-runs the bootstrap); with loadBalancer, the instance groups name the VMs.
    [GCP_TYPES.instance]: ["instanceId", "selfLink"],
    // With loadBalancer only: the backend service names its groups.
    [GCP_TYPES.instanceGroup]: ["selfLink"],
};

/** Derived when missing, if the GCP project is configured (`gcp:project`); else they are required too. */
export const DERIVED_OUTPUTS: DerivedOutputs = {
    [GCP_TYPES.serviceAccount]: { email: "<accountId>@<gcp:project>.iam.gserviceaccount.com" },
    [GCP_TYPES.secret]: { name: "projects/<gcp:project>/secrets/<secretId>" },
};

/** The GCP provider's default project (the `gcp:project` configuration), if set. */
export function configuredGcpProject(): string | undefined {
    return new pulumi.Config("gcp").get("project");
}
