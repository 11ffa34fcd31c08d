//go:build !js

package recipient

import "filippo.io/age/plugin"

// parsePlugin parses a plugin recipient, age1NAME1…, wrapped by its plugin
// binary with a non-interactive UI.
func parsePlugin(s string) (*parsed, error) {
	name, data, err := plugin.ParseRecipient(s)
	if err != nil {
		return nil, malformed("plugin recipient", s, err)
	}
	r, err := plugin.NewRecipient(s, &plugin.ClientUI{})
	if err != nil {
		return nil, malformed("plugin recipient", s, err)
	}
	return &parsed{r: r, kind: kindPlugin + name, canonical: plugin.EncodeRecipient(name, data)}, nil
}
