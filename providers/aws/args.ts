import type * as pulumi from "@pulumi/pulumi";

/** EBS volume types a member's data disk may use. */
export const AWS_VOLUME_TYPES = ["gp3", "gp2", "io1", "io2"] as const;
export type AwsVolumeType = (typeof AWS_VOLUME_TYPES)[number];

/**
 * Options of the AWS provider (`provider: "aws"`). The VPC and its subnets exist already; the
 * deployment creates its security group, instance role, SSM parameters, network interfaces,
 * EBS volumes, instances and (with `loadBalancer`) an internal NLB in them.
 */
export interface AwsProviderArgs {
    /**
     * Existing subnets of one VPC, at least one in every zone of `zones` (more than one per zone
     * spreads that zone's VMs over them). Private subnets: nothing gets a public address.
     */
    subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * IPv4 CIDR blocks allowed to reach the Redis, Sentinel and HAProxy ports: your applications,
     * and the machine running `pulumi up` (the bootstrap connects to every member directly).
     * At least one of `allowedCidrs` and `allowedSecurityGroupIds` is required.
     */
    allowedCidrs?: string[];
    /** Security groups (e.g. your applications') allowed to reach the same ports. */
    allowedSecurityGroupIds?: pulumi.Input<string>[];
    /** Instance type of the member VMs. Default: the smallest with memory >= 2.5 x maxmemory x membersPerInstance. */
    instanceType?: string;
    /** Instance type of the sentinel VMs. Default `t3.small`. */
    sentinelInstanceType?: string;
    /** Instance type of the HAProxy VMs. Default `t3.small`. */
    proxyInstanceType?: string;
    /** Members sharing one VM (same zone, never two of one shard). Default 1: a VM per member. */
    membersPerInstance?: number;
    /**
     * AMI of every VM; it must be Debian 12 (bookworm) or compatible: Redis 7 and awscli come from
     * its repositories. Default: the newest official Debian 12 AMI at creation; later releases do
     * not replace running VMs (set this to roll them).
     */
    ami?: string;
    /** EBS volume type of the data disks. Default `gp3`. */
    volumeType?: "gp3" | "gp2" | "io1" | "io2";
    /** Data disk size in GiB. Default: 6 x maxmemory with AOF, 2 x without, at least 10. */
    volumeSizeGiB?: number;
    /** Provisioned IOPS (io1/io2; gp3 above its 3000 baseline). */
    volumeIops?: number;
    /** KMS key for the EBS volumes and the SSM parameters. Default: the AWS-managed keys. */
    kmsKeyId?: string;
    /** Path under which the passwords are stored as SSM SecureString parameters. Default `/redis-deployment/<project>/<stack>/<name>`. */
    parameterPrefix?: string;
    /** More security groups for every VM (e.g. SSH or monitoring access). */
    securityGroupIds?: pulumi.Input<string>[];
    /** An EC2 key pair for SSH to the VMs. Default none. */
    keyName?: string;
    /** Tags added to every resource. */
    tags?: Record<string, string>;
}
