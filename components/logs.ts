// Logs, the core part: the `logs` argument (VM clouds: ship the nodes' logs to the cloud's log
// service) and the `logs` output. Locally every node writes a log file in its own directory;
// on Kubernetes the pods log to stdout (kubectl logs, the cluster's log collector). Pure.
import type { RedisDeploymentArgs } from "./args";
import type { FieldChecks } from "./fieldChecks";
import type { ProviderKind, ResolvedLogs } from "./types";

export const LOGS_FIELDS = ["enabled", "retentionDays"];
/** CloudWatch Logs accepts only these retention periods (days). */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
export const DEFAULT_RETENTION_DAYS = 30;

/** Where a deployment's logs are: the cloud's log service (when shipped) and each node's log file. */
export interface LogLocations {
    /** e.g. "CloudWatch Logs group /redis-deployment/...", "Cloud Logging (Ops Agent)", "Azure Monitor: Log Analytics workspace ...", "stdout of each pod". */
    destination?: string;
    /** Node name -> its log file (on this machine locally, on its VM on the clouds). */
    files: Record<string, string>;
}

/** `logs` validated: shipping to the cloud's log service, on the VM clouds only; off unless the section is given. */
export function validateLogs(check: FieldChecks, a: RedisDeploymentArgs, provider: ProviderKind): ResolvedLogs {
    const defaults: ResolvedLogs = { enabled: false, retentionDays: DEFAULT_RETENTION_DAYS };
    const l = check.object("logs", a.logs, "must be an object, e.g. logs: { retentionDays: 30 }");
    if (!l) return defaults;
    check.unknownFields(l, LOGS_FIELDS, "logs");
    if (provider === "local" || provider === "kubernetes") {
        check.problem("logs", provider === "local"
            ? "the local provider writes each node's log file in its directory already (the logs output lists them); remove logs"
            : "pods log to stdout, which the cluster's log collector ships; remove logs");
        return defaults;
    }
    const enabled = check.flag("logs.enabled", l.enabled, true);
    let retentionDays = DEFAULT_RETENTION_DAYS;
    if (l.retentionDays !== undefined) {
        const days = check.integer("logs.retentionDays", l.retentionDays, 1, 3653);
        if (days !== undefined && provider === "aws" && !CLOUDWATCH_RETENTION_DAYS.includes(days)) {
            check.problem("logs.retentionDays", `CloudWatch Logs keeps logs for one of ${CLOUDWATCH_RETENTION_DAYS.join(", ")} days; ${days} is not among them`);
        } else if (days !== undefined && provider === "azure" && (days < 30 || days > 730)) {
            check.problem("logs.retentionDays", `a Log Analytics workspace keeps data 30 to 730 days, got ${days}`);
        } else if (days !== undefined && provider === "gcp") {
            check.problem("logs.retentionDays", "Cloud Logging's retention is the log bucket's (30 days in _Default), set on the project; remove logs.retentionDays");
        } else if (days !== undefined) {
            retentionDays = days;
        }
    }
    return { enabled, retentionDays };
}
