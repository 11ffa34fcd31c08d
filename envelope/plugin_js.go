//go:build js

package envelope

import (
	"errors"

	"filippo.io/age"
)

// UI is how ParseIdentities asks the user. In a browser no age plugin can
// run, so only the passphrase of an encrypted SSH key can be asked for (the
// same field as age's plugin.ClientUI).
type UI struct {
	RequestValue func(name, prompt string, secret bool) (string, error)
}

// pluginIdentity refuses a plugin identity: a browser cannot run a plugin
// binary. Leaving package plugin out also keeps the WebAssembly module small.
func pluginIdentity(string, *UI) (age.Identity, error) {
	return nil, errors.New("plugin identities cannot be used in a browser")
}
