// Jobs on a schedule on Kubernetes (the backup job): one CronJob per deployment running the
// rendered script, reaching the members by their stable DNS names. The pod takes rclone from an
// init container (rclone's own image) and runs the script in the deployment's Redis image
// (bash, redis-cli, redis-check-rdb). rd-admin's password is mounted from the deployment's
// Secret; the store's credentials come from the Secret or the service account the user named
// (backup.kubernetes), never from the CronJob's plain fields. With TLS the pod mounts the
// deployment's client certificate (the Secret `<deployment>-client-tls`, see tls.ts) and the CA
// like any TLS pod, and the job's variables name those files.
import * as pulumi from "@pulumi/pulumi";
import type * as k8sSdk from "@pulumi/kubernetes";
import { DEFAULT_RCLONE_IMAGE } from "../../components/backup";
import { BACKUP_PASSWORD_FILE, backupTlsVariables, shardVariables } from "../../components/config/backupScript";
import { nodeTlsPaths } from "../../components/tls";
import type { TopologyPlan } from "../../components/types";
import type { ScheduledJob } from "../types";
import { SECRET_KEYS } from "./secret";
import type { Shared } from "./shared";
import { clientTlsName, podTlsDir, tlsMount, tlsVolume } from "./tls";

/** The CronJob's object name: `<deployment>-<job>`. */
export function cronJobName(deployment: string, job: string): string {
    return `${deployment}-${job}`;
}

/** Where the job's pod finds the deployment's CA and client certificate (with TLS). */
export function cronJobTlsFiles(deployment: string): { ca: string; cert: string; key: string } {
    return nodeTlsPaths(podTlsDir(clientTlsName(deployment)));
}

/** The job's container environment: the job's variables, the members by DNS name, the TLS files (with TLS), rclone on PATH. */
export function cronJobEnvironment(plan: TopologyPlan, shared: Pick<Shared, "layout" | "name">, environment: Record<string, string>): { name: string; value: string }[] {
    const shards = plan.shards.map((s) => ({
        index: s.index, ...(s.slots ? { slots: s.slots } : {}),
        nodes: s.members.map((m) => {
            const pod = shared.layout.members.find((p) => p.name === m.name)!;
            return { address: pod.address, port: pod.port };
        }),
    }));
    const tls = plan.args.tls.enabled ? backupTlsVariables(cronJobTlsFiles(shared.name)) : {};
    const all = { ...environment, ...shardVariables(shards), ...tls, PATH: "/rd-tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
    return Object.entries(all).map(([name, value]) => ({ name, value }));
}

export function scheduledJobObjects(shared: Shared, plan: TopologyPlan, job: ScheduledJob): pulumi.Resource[] {
    const k8s = require("@pulumi/kubernetes") as typeof k8sSdk;
    const { name, layout, namespace, opts } = shared;
    const objectName = cronJobName(name, job.name);
    const labels = { "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "redis-deployment", "app.kubernetes.io/component": job.name };
    const backup = plan.args.backup?.kubernetes;
    const script = new k8s.core.v1.ConfigMap(`${objectName}-script`, {
        metadata: { name: `${objectName}-script`, namespace, labels },
        data: { [`rd-${job.name}`]: job.script },
    }, { ...opts, dependsOn: shared.resources });
    const passwordDir = BACKUP_PASSWORD_FILE.slice(0, BACKUP_PASSWORD_FILE.lastIndexOf("/"));
    const passwordFile = BACKUP_PASSWORD_FILE.slice(passwordDir.length + 1);
    const tls = plan.args.tls.enabled;
    const cronJob = new k8s.batch.v1.CronJob(objectName, {
        metadata: { name: objectName, namespace, labels },
        spec: {
            schedule: job.schedule,
            timeZone: "Etc/UTC",
            concurrencyPolicy: "Forbid",
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
                spec: {
                    backoffLimit: 1,
                    template: {
                        metadata: { labels },
                        spec: {
                            restartPolicy: "Never",
                            ...(backup?.serviceAccountName ? { serviceAccountName: backup.serviceAccountName } : {}),
                            volumes: [
                                { name: "script", configMap: { name: `${objectName}-script`, defaultMode: 0o555 } },
                                { name: "tools", emptyDir: {} },
                                { name: "admin-password", secret: { secretName: layout.secret, items: [{ key: SECRET_KEYS.adminPassword, path: passwordFile }], defaultMode: 0o400 } },
                                ...(tls ? [tlsVolume(name, [clientTlsName(name)])] : []),
                            ],
                            initContainers: [{
                                name: "rclone",
                                image: backup?.rcloneImage ?? DEFAULT_RCLONE_IMAGE,
                                // Runs in the rclone image (Alpine: cp is busybox), not on this machine.
                                command: ["/bin/cp", "/usr/local/bin/rclone", "/rd-tools/rclone"],
                                volumeMounts: [{ name: "tools", mountPath: "/rd-tools" }],
                            }],
                            containers: [{
                                name: job.name,
                                image: shared.options.images.redis,
                                command: ["bash", `/rd-script/rd-${job.name}`, ...job.args],
                                env: pulumi.output(job.environment ?? {}).apply((e) => cronJobEnvironment(plan, shared, e as Record<string, string>)),
                                ...(backup?.secretName ? { envFrom: [{ secretRef: { name: backup.secretName } }] } : {}),
                                volumeMounts: [
                                    { name: "script", mountPath: "/rd-script" },
                                    { name: "tools", mountPath: "/rd-tools" },
                                    { name: "admin-password", mountPath: passwordDir, readOnly: true },
                                    ...(tls ? [tlsMount()] : []),
                                ],
                            }],
                        },
                    },
                },
            },
        },
    }, { ...opts, dependsOn: [script, ...shared.resources] });
    return [script, cronJob];
}
