// The AWS side of the shared boot script: secrets from SSM Parameter Store (SecureString) with
// the distribution's awscli and the instance role, the current user data from IMDSv2, and the
// device paths of an EBS volume.
import type { CloudHooks } from "../vm/bootScript";

/** Debian's awscli (v2 in Debian 12) reads SecureString parameters with the instance role. */
export function awsBootHooks(region: string): CloudHooks {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`not an AWS region: ${JSON.stringify(region)}`);
    return {
        cloud: "aws",
        secretStore: "AWS SSM Parameter Store (SecureString)",
        packages: ["awscli", "curl"],
        secretFunction: `aws ssm get-parameter --region ${region} --name "$1" --with-decryption --query Parameter.Value --output text`,
        userDataFunction: [
            "local token",
            "token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)",
            "curl -sf -m 10 -H \"X-aws-ec2-metadata-token: $token\" http://169.254.169.254/latest/user-data",
        ].join("\n"),
        addAddresses: true,
    };
}

/** Device names the data volumes are attached as, in order of the members on a VM. */
export function awsDeviceName(indexOnHost: number): string {
    if (indexOnHost < 0 || indexOnHost > 10) throw new RangeError(`at most 11 data volumes per instance, got index ${indexOnHost}`);
    return `/dev/sd${"fghijklmnop"[indexOnHost]}`;
}

/**
 * Where an attached EBS volume shows up: on Nitro instances as NVMe, named by its volume id
 * (stable whatever the attachment order); on Xen instances as /dev/xvdX for /dev/sdX.
 */
export function awsDiskDevices(volumeId: string, deviceName: string): string[] {
    const letter = deviceName.slice(-1);
    return [`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`, `/dev/xvd${letter}`, deviceName];
}
