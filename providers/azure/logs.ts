// Logs on Azure (with `logs` on): a Log Analytics workspace of the deployment's own (retention
// logs.retentionDays), a data collection rule that sends the VMs' syslog (the Redis, Sentinel,
// HAProxy and exporter units log to the journal; rsyslog hands it over, see the boot script's
// logs section) to it, and per VM the Azure Monitor agent (a VM extension, signing in as the
// deployment's managed identity) and the rule's association.
import * as pulumi from "@pulumi/pulumi";
import type * as computeSdk from "@pulumi/azure-native/compute";
import type * as monitorSdk from "@pulumi/azure-native/monitor";
import type * as operationalinsightsSdk from "@pulumi/azure-native/operationalinsights";
import type { AzureScope } from "./foundation";

/** The syslog facilities the units' journal lines arrive with (systemd services log as daemon). */
export const SYSLOG_FACILITIES = ["daemon", "user"];

export interface AzureLogs {
    workspace: operationalinsightsSdk.Workspace;
    rule: monitorSdk.DataCollectionRule;
}

export function azureWorkspaceName(s: Pick<AzureScope, "name">): string {
    return `${s.name}-logs`;
}

/** The data collection rule's body: syslog of the deployment's facilities to the workspace. Pure. */
export function dataCollectionRuleSpec(workspaceResourceId: string): { dataSources: object; destinations: object; dataFlows: object[] } {
    return {
        dataSources: {
            syslog: [{ name: "redis-deployment-syslog", streams: ["Microsoft-Syslog"], facilityNames: SYSLOG_FACILITIES, logLevels: ["Debug", "Info", "Notice", "Warning", "Error", "Critical", "Alert", "Emergency"] }],
        },
        destinations: { logAnalytics: [{ name: "workspace", workspaceResourceId }] },
        dataFlows: [{ streams: ["Microsoft-Syslog"], destinations: ["workspace"] }],
    };
}

/** The workspace and the data collection rule, once per deployment. */
export function createAzureLogs(s: AzureScope, where: { resourceGroupName: pulumi.Output<string>; location?: string }, parent: pulumi.Resource): AzureLogs {
    const operationalinsights = require("@pulumi/azure-native/operationalinsights") as typeof operationalinsightsSdk;
    const monitor = require("@pulumi/azure-native/monitor") as typeof monitorSdk;
    const workspace = new operationalinsights.Workspace(`${s.name}-logs`, {
        ...where,
        workspaceName: azureWorkspaceName(s),
        sku: { name: "PerGB2018" },
        retentionInDays: s.plan.args.logs.retentionDays,
        tags: s.tags(),
    }, { parent });
    const spec = workspace.id.apply((id) => dataCollectionRuleSpec(id));
    const rule = new monitor.DataCollectionRule(`${s.name}-logs-rule`, {
        ...where,
        dataCollectionRuleName: `${s.name}-logs`,
        kind: "Linux",
        description: `redis-deployment ${s.name}: the VMs' syslog (Redis, Sentinel, HAProxy) to ${azureWorkspaceName(s)}`,
        dataSources: spec.apply((x) => x.dataSources),
        destinations: spec.apply((x) => x.destinations),
        dataFlows: spec.apply((x) => x.dataFlows),
        tags: s.tags(),
    }, { parent });
    return { workspace, rule };
}

/** On one VM: the Azure Monitor agent, signing in as the deployment's identity, and the rule's association. */
export function attachAzureLogs(logs: AzureLogs, host: string, vm: computeSdk.VirtualMachine, where: { resourceGroupName: pulumi.Output<string>; location?: string }, identityResourceId: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Resource[] {
    const compute = require("@pulumi/azure-native/compute") as typeof computeSdk;
    const monitor = require("@pulumi/azure-native/monitor") as typeof monitorSdk;
    const agent = new compute.VirtualMachineExtension(`${host}-monitor-agent`, {
        ...where,
        vmName: vm.name,
        vmExtensionName: "AzureMonitorLinuxAgent",
        publisher: "Microsoft.Azure.Monitor",
        type: "AzureMonitorLinuxAgent",
        typeHandlerVersion: "1.0",
        autoUpgradeMinorVersion: true,
        enableAutomaticUpgrade: true,
        settings: identityResourceId.apply((id) => ({ authentication: { managedIdentity: { "identifier-name": "mi_res_id", "identifier-value": id } } })),
    }, { parent });
    const association = new monitor.DataCollectionRuleAssociation(`${host}-logs`, {
        associationName: `${host}-logs`,
        resourceUri: vm.id,
        dataCollectionRuleId: logs.rule.id,
        description: "redis-deployment: this VM's syslog to the deployment's workspace",
    }, { parent, dependsOn: [agent] });
    return [agent, association];
}
