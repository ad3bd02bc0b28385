//go:build tools

// Pins the S3-compatible server the integration tests start (see bin/setup-object-stores).
package tools

import _ "github.com/johannesboyne/gofakes3/cmd/gofakes3"
