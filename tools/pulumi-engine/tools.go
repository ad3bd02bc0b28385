//go:build tools

// Package tools pins the Pulumi CLI's main package in this module, so that
// go.mod and go.sum cover everything `go build
// github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` needs. It is not built.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
