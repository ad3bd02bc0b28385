//go:build tools

// Pins the GCS emulator the integration tests start (see bin/setup-object-stores).
package tools

import _ "github.com/fsouza/fake-gcs-server"
