// What the VM clouds' providers (AWS, GCP, Azure) share around their own resources: arguments
// validated before any resource exists, the planned VMs, direct bootstrap access, and errors
// that name the deployment.
import * as pulumi from "@pulumi/pulumi";
import type { BootstrapAccess, TopologyPlan } from "../../components/types";
import { validatedOrRunError } from "./argChecks";
import { planHosts, type HostPlan } from "./layout";

/** The Pulumi project and stack: part of the names and ids a deployment's resources get. */
export interface DeploymentEnv {
    project: string;
    stack: string;
}

export abstract class VmProvider<Options> {
    readonly options: Options;
    /** Every VM of the deployment (members, then sentinels, then proxies). */
    readonly hosts: HostPlan[];
    protected readonly env: DeploymentEnv = { project: pulumi.getProject(), stack: pulumi.getStack() };

    /**
     * `validate` checks the cloud's section of the arguments (throwing the deployment's argument
     * error, which becomes a RunError without a stack trace); `membersPerVm` reads its packing.
     */
    protected constructor(
        protected readonly name: string,
        protected readonly plan: TopologyPlan,
        validate: (env: DeploymentEnv) => Options,
        membersPerVm: (options: Options) => number,
    ) {
        this.options = validatedOrRunError(() => validate(this.env));
        this.hosts = planHosts(plan, membersPerVm(this.options));
    }

    access(): BootstrapAccess {
        // The machine running `pulumi up` must reach the private addresses (VPN, peering, a
        // runner inside the network) and be among the allowed networks.
        return { kind: "direct" };
    }

    protected fail(message: string): never {
        throw new pulumi.RunError(`RedisDeployment "${this.name}": ${message}`);
    }
}
