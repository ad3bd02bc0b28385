// Program info helpers: runtime options, program directory, entry point, and
// finding node and the scripts of the program's own @pulumi/pulumi.

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func optionsOf(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok && strings.TrimSpace(v) != "" {
		opts.nodeargs = strings.Fields(v)
	}
	return opts
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func entryPoint(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetEntryPoint() != "" {
		return info.GetEntryPoint()
	}
	if fallback != "" {
		return fallback
	}
	return "."
}

// resolveSDKScript finds a script of the program's own @pulumi/pulumi package
// (e.g. "cmd/run") using node's module resolution from dir.
func resolveSDKScript(nodeBin, dir, script string) (string, error) {
	if script == "cmd/run" {
		if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
			return p, nil
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(nodeBin, "-e",
		"process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))",
		"@pulumi/pulumi/"+script, dir)
	cmd.Dir = dir
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("could not find @pulumi/pulumi/%s from %s; "+
			"has the Pulumi SDK been installed (npm install)? %v: %s",
			script, dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func findNode() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	return p, nil
}
