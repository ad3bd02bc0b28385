// Command pulumi-language-nodejs is a minimal Node.js language host for the
// Pulumi engine.
//
// The upstream module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 is not
// published on the Go module proxy, so this repository carries its own host,
// built by bin/setup-pulumi. It implements the parts of the LanguageRuntime
// gRPC service that running Node.js/TypeScript programs and Node.js plugins
// needs, and delegates the real work to the scripts shipped in the program's
// own @pulumi/pulumi package (cmd/run, cmd/run-plugin, cmd/run-policy-pack),
// exactly as the upstream host does.
//
// The host's methods live in one file per concern: host.go (the server type,
// handshake, plugin info), program.go (program info and @pulumi/pulumi
// lookup), packages.go (required packages and plugins), run.go, plugin.go,
// install.go and about.go.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is set at link time with -X main.version=...
var version = "v0.0.0-dev"

func main() {
	// A private flag set: the glog package pulled in by the SDK already owns
	// -logtostderr and -v on the global one.
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ExitOnError)
	var tracing string
	fs.StringVar(&tracing, "tracing", "", "tracing endpoint (accepted, unused)")
	// Flags the engine or the upstream host pass; accepted and ignored.
	fs.Bool("logtostderr", false, "log to stderr (ignored)")
	fs.Int("v", 0, "log verbosity (ignored)")
	fs.String("root", "", "project root (ignored)")
	fs.Bool("typescript", true, "ignored; see the runtime option 'typescript'")
	fs.String("tsconfig", "", "ignored; see the runtime option 'tsconfig'")
	fs.String("nodeargs", "", "ignored; see the runtime option 'nodeargs'")
	fs.String("packagemanager", "", "ignored")
	showVersion := fs.Bool("version", false, "print the version and exit")
	_ = fs.Parse(os.Args[1:])

	if *showVersion {
		fmt.Println(version)
		return
	}

	host := &nodeHost{tracing: tracing}
	if args := fs.Args(); len(args) > 0 {
		host.engineAddress = args[0]
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}
