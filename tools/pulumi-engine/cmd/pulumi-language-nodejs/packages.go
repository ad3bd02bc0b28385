// Required plugins / packages: every node_modules package whose package.json
// has { "pulumi": { "resource": true } }.

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   string `json:"value"`
		} `json:"parameterization"`
	} `json:"pulumi"`
}

func nearestNodeModules(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			return nm
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func collectPackages(nodeModules string, seen map[string]bool, out map[string]*pulumirpc.PackageDependency) {
	real, err := filepath.EvalSymlinks(nodeModules)
	if err != nil || seen[real] {
		return
	}
	seen[real] = true
	entries, err := os.ReadDir(nodeModules)
	if err != nil {
		return
	}
	var pkgDirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(nodeModules, name)
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range scoped {
				pkgDirs = append(pkgDirs, filepath.Join(p, s.Name()))
			}
			continue
		}
		pkgDirs = append(pkgDirs, p)
	}
	for _, dir := range pkgDirs {
		if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
			var pj packageJSON
			if json.Unmarshal(b, &pj) == nil && pj.Pulumi.Resource {
				if dep := toDependency(pj); dep != nil {
					key := dep.Name + "@" + dep.Version
					if dep.Parameterization != nil {
						key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
					}
					out[key] = dep
				}
			}
		}
		collectPackages(filepath.Join(dir, "node_modules"), seen, out)
	}
}

func toDependency(pj packageJSON) *pulumirpc.PackageDependency {
	name := pj.Pulumi.Name
	if name == "" {
		name = pj.Name
		if strings.HasPrefix(name, "@pulumi/") {
			name = strings.TrimPrefix(name, "@pulumi/")
		} else {
			name = strings.TrimPrefix(name, "@")
		}
	}
	ver := pj.Pulumi.Version
	if ver == "" {
		ver = pj.Version
	}
	if name == "" || ver == "" {
		return nil
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: pj.Pulumi.Server}
	if p := pj.Pulumi.Parameterization; p != nil && p.Name != "" {
		value, err := base64.StdEncoding.DecodeString(p.Value)
		if err != nil {
			value = []byte(p.Value)
		}
		pver := p.Version
		if pver != "" && !strings.HasPrefix(pver, "v") {
			pver = "v" + pver
		}
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: pver, Value: value}
	}
	return dep
}

func requiredPackages(info *pulumirpc.ProgramInfo, pwd string) []*pulumirpc.PackageDependency {
	nm := nearestNodeModules(programDir(info, pwd))
	if nm == "" {
		return nil
	}
	found := map[string]*pulumirpc.PackageDependency{}
	collectPackages(nm, map[string]bool{}, found)
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, found[k])
	}
	return deps
}

func (h *nodeHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{Packages: requiredPackages(req.GetInfo(), "")}, nil
}

func (h *nodeHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var plugins []*pulumirpc.PluginDependency
	seen := map[string]bool{}
	for _, d := range requiredPackages(req.GetInfo(), req.GetPwd()) { //nolint:staticcheck
		if d.Parameterization != nil || seen[d.Name+d.Version] {
			continue
		}
		seen[d.Name+d.Version] = true
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}
