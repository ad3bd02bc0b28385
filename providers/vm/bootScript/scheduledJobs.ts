// Jobs on a schedule (the backup job): each is a script rendered by core code, its plain
// environment and a systemd timer, placed only on the VMs the provider chose (one member VM per
// shard for backups). The admin password the job logs in with is written from the secret store
// to a mode-0600 file under /run (memory only, rewritten at every boot), never into the script.
import { shellQuote } from "./shell";
import type { BootSection } from "./types";

/** A job placed on one VM. */
export interface VmScheduledJob {
    /** Names the script (/usr/local/sbin/rd-<name>), its environment file and units (rd-<name>.service/.timer). */
    name: string;
    /** systemd OnCalendar= value (UTC). */
    onCalendar: string;
    script: string;
    environment: Record<string, string>;
    /** Where the job expects rd-admin's password. */
    passwordFile: string;
    /** Distribution packages the job needs. */
    packages: string[];
}

const functionName = (job: VmScheduledJob) => `rd_job_${job.name.replace(/-/g, "_")}`;

export const scheduledJobsSection: BootSection = {
    name: "scheduled jobs",
    packages: (ctx) => [...new Set((ctx.scheduledJobs ?? []).flatMap((j) => j.packages))],
    functions: (ctx) => {
        const jobs = ctx.scheduledJobs ?? [];
        if (jobs.length === 0) return "# This VM runs no scheduled job (a backup job runs on one member VM per shard).\nrd_no_scheduled_job() { :; }";
        const q = shellQuote;
        return jobs.map((job) => {
            if (job.script.split("\n").includes("RD_JOB_SCRIPT")) throw new Error(`the ${job.name} job's script contains its own here-document end marker`);
            const env = Object.entries(job.environment).map(([k, v]) => `${k}=${v}`).join("\n");
            return `# rd-${job.name}: the script, its environment, a password file under /run and a systemd timer (${job.onCalendar}).
${functionName(job)}() {
    local bin="$RD_ROOT/usr/local/sbin/rd-${job.name}" env="$RD_ROOT/etc/redis-deployment/${job.name}.env" units="$RD_ROOT/etc/systemd/system"
    local password=${q(job.passwordFile)}
    mkdir -p "\${bin%/*}" "\${env%/*}" "$units" "$RD_ROOT\${password%/*}"
    cat >"$bin" <<'RD_JOB_SCRIPT'
${job.script.replace(/\n$/, "")}
RD_JOB_SCRIPT
    chmod 0700 "$bin"
    printf '%s\\n' ${q(env)} >"$env"
    chmod 0644 "$env"
    (umask 077 && printf '%s' "\${RD_SECRET[adminPassword]}" >"$RD_ROOT$password")
    cat >"$units/rd-${job.name}.service" <<UNIT
[Unit]
Description=redis-deployment: ${job.name} job
After=network-online.target

[Service]
Type=oneshot
EnvironmentFile=/etc/redis-deployment/${job.name}.env
ExecStart=/bin/bash /usr/local/sbin/rd-${job.name}
UNIT
    cat >"$units/rd-${job.name}.timer" <<UNIT
[Unit]
Description=redis-deployment: ${job.name} job on its schedule

[Timer]
OnCalendar=${job.onCalendar}
Persistent=true

[Install]
WantedBy=timers.target
UNIT
    systemctl daemon-reload >/dev/null 2>&1 || true
    systemctl enable --now "rd-${job.name}.timer" >/dev/null 2>&1 || rd_log "could not enable rd-${job.name}.timer"
}`;
        }).join("\n\n");
    },
    finish: (ctx) => (ctx.scheduledJobs ?? []).map(functionName),
};
