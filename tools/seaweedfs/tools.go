//go:build tools

// Package tools records the weed command as a dependency of this module.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
