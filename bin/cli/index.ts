// The redis-deployment CLI as a library: the command functions for Automation API users (and the
// tests), the command line's main(), and the pieces of the workspace they are built from.
//
//   main.ts         parses the command line and runs the command it names
//   commands/       one file per command (its function and descriptor) and the registry
//   workspace.ts    state directory, engine environment, Pulumi CLI, workspace and stacks
//   settings.ts     deployment settings (flags, stack config, component arguments), the inline program
//   stackSettings.ts  the settings up/preview store in a stack's config
//   deploymentTarget.ts  a deployed RedisDeployment's nodes and admin login, from a stack's state (status, failover)
//   render.ts       endpoint table, status report and JSON output
export { main, parseCommandLine, USAGE, type ParsedCommand } from "./main";
export {
    backup, backups, type BackupResult, COMMAND_DESCRIPTORS, COMMANDS, destroy, failover, findCommand, list, outputs, preview, stackTable, stackTarget, status, up,
    watchStatus, type Command, type FailoverCommandOptions, type StackListing, type StatusOptions, type UpOutcome,
} from "./commands";
export { targetFromState, revealSecrets } from "./deploymentTarget";
export { listBackupSets, type BackupSetListing } from "../../bootstrap/backupStore";
export { deploymentStatus, observeDeployment, type DeploymentTarget } from "../../bootstrap/observe";
export { runFailover, type FailoverOptions, type FailoverResult } from "../../bootstrap/failover";
export {
    assessStatus, chooseFailover, FailoverRefused, type MemberStatus, type ProxyStatus, type SentinelStatus, type StatusReport,
} from "../../components/status";
export type { CommandDescriptor, CommandFlag, CommandOptions, RunContext } from "./command";
export { CliError, engineFailure } from "./errors";
export { bytesText, changeSummary, endpointTable, jsonText, outputsText, outputValues, statusText } from "./render";
export {
    DEPLOYMENT_NAME, deploymentProgram, mergeSettings, OUTPUT_NAMES, PROJECT, SETTING_FLAGS, settingsFromConfig,
    toDeploymentArgs, validateSettings, type DeploymentSettings, type FlagSpec, type SettingKey,
} from "./settings";
export {
    DEFAULT_STACK, defaultStateDir, engineEnv, engineOutput, ensurePulumi, openStack, openWorkspace, packageRoot,
    processIo, pulumiCommandIn, silentIo, type Io, type StackOptions,
} from "./workspace";
