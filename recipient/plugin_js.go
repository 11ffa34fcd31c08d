//go:build js

package recipient

import "fmt"

// parsePlugin refuses a plugin recipient: a browser cannot run a plugin
// binary. Leaving package plugin out also keeps the WebAssembly module small.
func parsePlugin(s string) (*parsed, error) {
	return nil, fmt.Errorf("%w: %s: plugin recipients cannot be used in a browser", ErrMalformed, prefix(s))
}
