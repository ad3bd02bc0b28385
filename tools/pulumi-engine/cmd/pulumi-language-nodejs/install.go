// InstallDependencies: npm install when there is a package.json.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

type installWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w installWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	resp := &pulumirpc.InstallDependenciesResponse{Stdout: b}
	if w.stderr {
		resp = &pulumirpc.InstallDependenciesResponse{Stderr: b}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("could not find npm on the $PATH: %w", err)
	}
	var mu sync.Mutex
	cmd := exec.CommandContext(server.Context(), npm, "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout = installWriter{mu: &mu, send: server.Send}
	cmd.Stderr = installWriter{mu: &mu, send: server.Send, stderr: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s failed: %w", dir, err)
	}
	return nil
}
