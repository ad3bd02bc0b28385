// The redis-deployment CLI as a library: the command functions for Automation API users (and the
// tests), the command line's main(), and the pieces of the workspace they are built from.
//
//   main.ts         parses the command line and runs the command it names
//   commands/       one file per command (its function and descriptor) and the registry
//   workspace.ts    state directory, engine environment, Pulumi CLI, workspace and stacks
//   settings.ts     deployment settings (flags, stack config, component arguments), the inline program
//   stackSettings.ts  the settings up/preview store in a stack's config
//   render.ts       endpoint table and JSON output
export { main, parseCommandLine, USAGE, type ParsedCommand } from "./main";
export {
    COMMAND_DESCRIPTORS, COMMANDS, destroy, findCommand, list, outputs, preview, stackTable, up,
    type Command, type StackListing, type UpOutcome,
} from "./commands";
export type { CommandDescriptor, CommandFlag, CommandOptions, RunContext } from "./command";
export { CliError, engineFailure } from "./errors";
export { changeSummary, endpointTable, jsonText, outputsText, outputValues } from "./render";
export {
    DEPLOYMENT_NAME, deploymentProgram, mergeSettings, OUTPUT_NAMES, PROJECT, SETTING_FLAGS, settingsFromConfig,
    toDeploymentArgs, validateSettings, type DeploymentSettings, type FlagSpec, type SettingKey,
} from "./settings";
export {
    DEFAULT_STACK, defaultStateDir, engineEnv, engineOutput, ensurePulumi, openStack, openWorkspace, packageRoot,
    processIo, pulumiCommandIn, silentIo, type Io, type StackOptions,
} from "./workspace";
