// RunPlugin: Node.js providers / policy packs run from source.

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

type streamWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.RunPluginResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *nodeHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	nodeBin, err := findNode()
	if err != nil {
		return err
	}
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts := optionsOf(info)

	script := "cmd/run-plugin"
	if req.GetKind() == "analyzer" || req.GetKind() == "policy" {
		script = "cmd/run-policy-pack"
	}
	scriptPath, err := resolveSDKScript(nodeBin, dir, script)
	if err != nil {
		return err
	}
	args := append([]string{}, opts.nodeargs...)
	args = append(args, scriptPath, "--pwd", dir, entryPoint(info, req.GetProgram())) //nolint:staticcheck
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(), req.GetEnv()...)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	var mu sync.Mutex
	cmd := exec.CommandContext(server.Context(), nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = streamWriter{mu: &mu, send: server.Send}
	cmd.Stderr = streamWriter{mu: &mu, send: server.Send, stderr: true}

	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("running plugin: %w", err)
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}
