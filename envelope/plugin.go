//go:build !js

package envelope

import (
	"filippo.io/age"
	"filippo.io/age/plugin"
)

// UI is how ParseIdentities asks the user: age's plugin client UI, given to
// plugins and asked for the passphrase of an encrypted SSH key.
type UI = plugin.ClientUI

// pluginIdentity is an AGE-PLUGIN-… identity, run by its plugin binary.
func pluginIdentity(line string, ui *UI) (age.Identity, error) {
	return plugin.NewIdentity(line, ui)
}
