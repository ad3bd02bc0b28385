// What the deployment's Secret holds: the three passwords and the credential lines the members
// and sentinels include. Pure: no Pulumi.
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import type { Credentials, TopologyPlan } from "../../components/types";
import { credentialLines } from "./credentials";
import { PLACEHOLDER } from "./layout";

/** Keys of the deployment's Secret. */
export const SECRET_KEYS = {
    password: "password",
    adminPassword: "admin-password",
    monitorPassword: "monitor-password",
    redisAuth: "redis-auth.conf",
    sentinelAuth: "sentinel-auth.conf",
} as const;

/** The credential lines every member includes (Secret): masterauth and the ACL users. */
export function redisAuthConfig(plan: TopologyPlan, credentials: Credentials): string {
    const any = plan.members[0];
    const text = renderRedisConf({ args: plan.args, member: { ...any, address: PLACEHOLDER.podIp }, credentials, dataDir: PLACEHOLDER.dataDir, tlsDir: PLACEHOLDER.tlsDir });
    return credentialLines(text);
}

/** The sentinels' credential lines (Secret): sentinel-user/sentinel-pass (rd-admin, for peers) and the ACL users. */
export function sentinelAuthConfig(plan: TopologyPlan, credentials: Credentials): string {
    const any = plan.sentinels[0] ?? { name: "sentinel", ordinal: 0, zone: "", port: plan.args.sentinelPort };
    const text = renderSentinelConf({ args: plan.args, sentinel: { ...any, address: PLACEHOLDER.podIp }, credentials, dataDir: PLACEHOLDER.dataDir, tlsDir: PLACEHOLDER.tlsDir });
    return credentialLines(text);
}

/** The Secret's data: the passwords (the application's empty with auth off) and the included credential lines. */
export function secretData(plan: TopologyPlan, c: Credentials): Record<string, string> {
    return {
        [SECRET_KEYS.password]: plan.args.authEnabled ? c.password : "",
        [SECRET_KEYS.adminPassword]: c.adminPassword,
        [SECRET_KEYS.monitorPassword]: c.monitorPassword,
        [SECRET_KEYS.redisAuth]: redisAuthConfig(plan, c),
        [SECRET_KEYS.sentinelAuth]: sentinelAuthConfig(plan, c),
    };
}
