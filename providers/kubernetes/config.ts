// The pure side of the Kubernetes provider: object names, stable DNS names, the configuration
// files (from the shared renderers) and the container scripts. No Pulumi here: tests start the
// real programs on exactly these texts. One module per concern; this one gathers them.
//
// Secrets never enter a ConfigMap or the pod spec (see credentials.ts): the configs hold
// `include`s of credential lines kept in the deployment's Secret (secret.ts), and HAProxy reads
// its one password from an environment variable set by secretKeyRef.
export { PLACEHOLDER_CREDENTIALS, isCredentialLine } from "./credentials";
export { HAPROXY_PASSWORD_ENV, digest, haproxyConfig, memberConfig, sentinelConfig } from "./configs";
export {
    ANY_ZONE, PATHS, PLACEHOLDER, kubernetesLayout, podHost, serviceHost,
    type KubernetesLayout, type MemberPod, type PodGroup, type SentinelPod,
} from "./layout";
export { SENTINEL_STATE_DIRECTIVES, probeScript, startRedisScript, startSentinelScript } from "./scripts";
export { SECRET_KEYS, redisAuthConfig, sentinelAuthConfig } from "./secret";
