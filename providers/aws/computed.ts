// What AWS computes that the AWS provider reads back: a mock's `newResource` must return these
// outputs (besides the inputs), and nothing of AWS is derived from inputs.
import type { ComputedOutputs, DerivedOutputs } from "../vm/computed";

export const AWS_TYPES = {
    networkInterface: "aws:ec2/networkInterface:NetworkInterface",
    parameter: "aws:ssm/parameter:Parameter",
    role: "aws:iam/role:Role",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const;

/** Type token -> the outputs a mock must return for it (ids come from every mock anyway). */
export const COMPUTED_OUTPUTS: ComputedOutputs = {
    // The VM's address and one secondary address per node: AWS picks them in the subnet.
    [AWS_TYPES.networkInterface]: ["privateIp", "privateIps"],
    // The role policy grants reading exactly these parameters.
    [AWS_TYPES.parameter]: ["arn"],
    // Auto-named: the instance profile names the role, the instances the profile.
    [AWS_TYPES.role]: ["name"],
    [AWS_TYPES.instanceProfile]: ["name"],
    // With loadBalancer only: the endpoint is the NLB's DNS name; listeners and targets name ARNs.
    [AWS_TYPES.loadBalancer]: ["arn", "dnsName"],
    [AWS_TYPES.targetGroup]: ["arn"],
    // With logs only: the instance role may write to this log group's streams, nothing else.
    [AWS_TYPES.logGroup]: ["arn"],
};

/** Nothing AWS computes can be derived from the inputs. */
export const DERIVED_OUTPUTS: DerivedOutputs = {};
