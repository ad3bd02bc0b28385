// A cloud SDK that is not installed: one error with the command that installs it.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { loadPeerPackage } from "../../providers/peerPackage";

describe("optional peer packages", () => {
    it("a missing package becomes a RunError naming the provider, the package and the install command", () => {
        assert.throws(() => loadPeerPackage("gcp", "@pulumi/gcp", 9, () => require("@pulumi/not-installed-here")), (err: Error) =>
            err instanceof pulumi.RunError
            && err.message.startsWith('provider "gcp" needs the @pulumi/gcp package (an optional peer dependency of redis-deployment): npm install @pulumi/gcp@9 (Cannot find module'));
    });

    it("an installed package is returned as loaded", () => {
        assert.equal(loadPeerPackage("aws", "@pulumi/aws", 7, () => require("@pulumi/pulumi")), pulumi);
    });
});
