// About / GetProgramDependencies: enough for `pulumi about` and update metadata.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func (h *nodeHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := findNode()
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "minimal (bin/setup-pulumi)"},
	}, nil
}

func (h *nodeHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	var pj struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	_ = json.Unmarshal(b, &pj)
	names := make([]string, 0, len(pj.Dependencies))
	for n := range pj.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	var deps []*pulumirpc.DependencyInfo
	for _, n := range names {
		ver := pj.Dependencies[n]
		if ib, err := os.ReadFile(filepath.Join(dir, "node_modules", n, "package.json")); err == nil {
			var ipj packageJSON
			if json.Unmarshal(ib, &ipj) == nil && ipj.Version != "" {
				ver = ipj.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: ver})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
