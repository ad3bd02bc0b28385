// The configuration files of members, sentinels and HAProxy as they go into ConfigMaps: the
// shared renderers' files without any credential (see credentials.ts), and the digest that
// rolls the pods when they change. Pure: no Pulumi; tests start the real programs on these texts.
import { createHash } from "crypto";
import { renderHaproxyCfg } from "../../components/config/haproxyCfg";
import { renderRedisConf } from "../../components/config/redisConf";
import { renderSentinelConf } from "../../components/config/sentinelConf";
import { haproxyStatsPort } from "../../components/metrics";
import type { TopologyPlan } from "../../components/types";
import { PLACEHOLDER_CREDENTIALS, assertNoCredentials, withSecretInclude } from "./credentials";
import { ANY_ZONE, PATHS, PLACEHOLDER, type MemberPod, type SentinelPod } from "./layout";
import { SECRET_KEYS } from "./secret";

/** HAProxy's health-check password comes from this environment variable (secretKeyRef). */
export const HAPROXY_PASSWORD_ENV = "RD_MONITOR_PASSWORD";

/** redis.conf template of one member (ConfigMap): no credentials; includes the Secret's part. */
export function memberConfig(plan: TopologyPlan, member: MemberPod): string {
    const text = renderRedisConf({
        args: plan.args,
        member: { ...member, address: PLACEHOLDER.podIp },
        credentials: PLACEHOLDER_CREDENTIALS,
        dataDir: PLACEHOLDER.dataDir,
        announceHostname: member.address,
        tlsDir: `${PLACEHOLDER.tlsDir}/${member.pod}`,
    });
    return withSecretInclude(text, ["", "# Passwords (masterauth, ACL users) come from the deployment's Secret.", `include ${PLACEHOLDER.secretDir}/${SECRET_KEYS.redisAuth}`], `redis.conf of ${member.name}`);
}

/** sentinel.conf template of one sentinel (ConfigMap). */
export function sentinelConfig(plan: TopologyPlan, sentinel: SentinelPod): string {
    const text = renderSentinelConf({
        args: plan.args,
        sentinel: { ...sentinel, address: PLACEHOLDER.podIp },
        credentials: PLACEHOLDER_CREDENTIALS,
        dataDir: PLACEHOLDER.dataDir,
        announceHostname: sentinel.address,
        tlsDir: `${PLACEHOLDER.tlsDir}/${sentinel.pod}`,
    });
    return withSecretInclude(text, [`include ${PLACEHOLDER.secretDir}/${SECRET_KEYS.sentinelAuth}`], `sentinel.conf of ${sentinel.name}`);
}

/**
 * haproxy.cfg of the HAProxy Deployment (ConfigMap): the shared renderer's file, with the
 * monitor password read from the environment ("${RD_MONITOR_PASSWORD}", expanded by HAProxy
 * inside double quotes) and a `resolvers` section on the cluster DNS, so servers are found by
 * their stable names, re-resolved when a pod comes back with a new IP, and a name that does
 * not resolve yet does not stop HAProxy from starting (init-addr none).
 */
export function haproxyConfig(plan: TopologyPlan, members: MemberPod[], listenAddress = "0.0.0.0", tlsRoot: string = PATHS.tls): string {
    const proxy = plan.proxies[0];
    if (!proxy) throw new Error(`redis-deployment (kubernetes): ${plan.args.name} plans no HAProxy; haproxy.cfg is rendered only for proxies`);
    const name = `${plan.args.name}-haproxy`;
    const text = renderHaproxyCfg({
        proxy: { name, zone: ANY_ZONE, address: listenAddress, port: proxy.port, readPort: proxy.readPort },
        // Every HAProxy pod presents the one certificate of the HAProxy Service (tls.ts).
        tls: plan.args.tls,
        tlsDir: `${tlsRoot}/${name}`,
        members,
        credentials: { password: "", adminPassword: "", monitorPassword: `"\${${HAPROXY_PASSWORD_ENV}}"` },
        statsPort: haproxyStatsPort(plan.args),
    });
    const lines = text.split("\n");
    const defaultServer = lines.findIndex((l) => l.trim().startsWith("default-server "));
    const defaults = lines.findIndex((l) => l === "defaults");
    if (defaultServer < 0 || defaults < 0) throw new Error("redis-deployment (kubernetes): haproxy.cfg has no defaults/default-server line to attach the resolvers to");
    lines[defaultServer] += " resolvers cluster-dns resolve-prefer ipv4 init-addr last,libc,none";
    lines.splice(defaults, 0,
        "# The cluster DNS (from /etc/resolv.conf): members are found by their pods' stable names.",
        "resolvers cluster-dns",
        "    parse-resolv-conf",
        "    resolve_retries 3",
        "    timeout resolve 1s",
        "    timeout retry 1s",
        "    hold valid 5s",
        "    hold other 5s",
        "    hold refused 5s",
        "    hold nx 5s",
        "    hold timeout 5s",
        "    hold obsolete 5s",
        "",
    );
    const cfg = lines.join("\n");
    if (!cfg.includes(`"\${${HAPROXY_PASSWORD_ENV}}"`)) throw new Error("redis-deployment (kubernetes): haproxy.cfg does not read the monitor password from the environment");
    return assertNoCredentials(cfg, "haproxy.cfg");
}

/** A short stable digest (pod template annotations: a changed config rolls the pods). */
export function digest(...parts: string[]): string {
    const h = createHash("sha256");
    for (const p of parts) h.update(p).update("\0");
    return h.digest("hex").slice(0, 16);
}
