// Run: node <nodeargs> .../@pulumi/pulumi/cmd/run <flags> <entry point> <args>

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// exitCodeBail is what @pulumi/pulumi's cmd/run exits with once it has
// already shown the user an actionable error.
const exitCodeBail = 32

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	nodeBin, err := findNode()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts := optionsOf(info)

	runPath, err := resolveSDKScript(nodeBin, dir, "cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	if info != nil {
		flagArg("root-directory", info.GetRootDirectory())
	}
	flagArg("stack", req.GetStack())
	flagArg("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", fmt.Sprint(req.GetParallel()))
	flagArg("tracing", h.tracing)
	args = append(args, entryPoint(info, req.GetProgram())) //nolint:staticcheck
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	if req.GetQueryMode() {
		env = append(env, "PULUMI_NODEJS_QUERY_MODE=true")
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}
