// The package's public entry point: the component, its arguments and outputs, and the
// preflight check. Planning, rendering and the provider interface are internal: they live under
// `redis-deployment/dist/…` (reachable because dynamic providers must be, see
// docs/architecture.md) and may change in any release.
export { OUTPUT_NAMES, RedisDeployment, type MemberInfo, type OutputName } from "./redisDeployment";
export type { RedisDeploymentArgs, LocalProviderArgs } from "./args";
export type { KubernetesProviderArgs } from "../providers/kubernetes/args";
export type { AwsProviderArgs } from "../providers/aws/args";
export type { GcpProviderArgs } from "../providers/gcp/args";
export type { AzureProviderArgs } from "../providers/azure/args";
export { validateArgs, parseMemory, RedisDeploymentArgumentError, type ArgumentProblem } from "./validate";
export {
    MAXMEMORY_POLICIES, MODES, PLACEMENTS, PROVIDER_KINDS,
    type ApplicationCommands, type BootstrapAccess, type MaxmemoryPolicy, type Mode, type Placement, type ProviderKind, type Role,
} from "./types";
