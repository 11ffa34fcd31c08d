package client

import (
	"context"
	"net/http"
	"net/url"
)

// NewUser describes a user to create.
type NewUser struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	Role       string `json:"role"`
	Recipient  string `json:"recipient"`
	SigningKey string `json:"signing_key,omitempty"` // authorized_keys format; needed to deposit
	TOTPSecret string `json:"totp_secret,omitempty"`
	QR         bool   `json:"qr,omitempty"`
}

// CreatedUser is the answer to AddUser: the TOTP URL is shown only once.
type CreatedUser struct {
	User    User   `json:"user"`
	TOTPURL string `json:"totp_url"`
	QRPNG   []byte `json:"totp_qr_png,omitempty"`
}

// AddUser creates a user (admins; needs a step-up).
func (c *Client) AddUser(ctx context.Context, u NewUser) (*CreatedUser, error) {
	var out CreatedUser
	return &out, c.call(ctx, request{method: http.MethodPost, path: "/v1/users", body: u, stepUp: true}, &out)
}

// Users lists users (admins; needs a step-up).
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	return out.Users, c.call(ctx, request{method: http.MethodGet, path: "/v1/users", stepUp: true}, &out)
}

// UpdateUser changes a user (admins; needs a step-up). Nil fields stay.
func (c *Client) UpdateUser(ctx context.Context, id string, name, state, recipient *string) (*User, error) {
	body := map[string]*string{}
	if name != nil {
		body["name"] = name
	}
	if state != nil {
		body["state"] = state
	}
	if recipient != nil {
		body["recipient"] = recipient
	}
	var out User
	return &out, c.call(ctx, request{method: http.MethodPatch, path: "/v1/users/" + url.PathEscape(id), body: body, stepUp: true}, &out)
}

// SetSigningKey replaces a user's signing public key, "ssh-ed25519 …" or
// "sk-ssh-ed25519@openssh.com …"; "" removes it (admins; needs a step-up).
func (c *Client) SetSigningKey(ctx context.Context, id, key string) (*User, error) {
	var out User
	body := map[string]string{"signing_key": key}
	return &out, c.call(ctx, request{method: http.MethodPatch, path: "/v1/users/" + url.PathEscape(id), body: body, stepUp: true}, &out)
}

// UserRecipient returns the age recipient of a fellow member.
func (c *Client) UserRecipient(ctx context.Context, id string) (string, error) {
	r, _, err := c.UserKeys(ctx, id)
	return r, err
}

// UserKeys returns the public keys of a fellow member: its age recipient,
// and its signing key in authorized_keys format ("" when none is
// registered), which checks the signed manifests of its deposits.
// With c.Keys set, they are the keys it verified.
func (c *Client) UserKeys(ctx context.Context, id string) (recipient, signingKey string, err error) {
	return c.verifiedKeys(ctx, id)
}

// serverKeys returns user id's keys as the server gives them.
func (c *Client) serverKeys(ctx context.Context, id string) (recipient, signingKey string, err error) {
	var out struct {
		Recipient  string `json:"recipient"`
		SigningKey string `json:"signing_key"`
	}
	err = c.call(ctx, request{method: http.MethodGet, path: "/v1/users/" + url.PathEscape(id) + "/recipient"}, &out)
	return out.Recipient, out.SigningKey, err
}

// CreateCollection creates a collection (admins; needs a step-up).
func (c *Client) CreateCollection(ctx context.Context, col Collection) (*Collection, error) {
	var out Collection
	body := map[string]any{"id": col.ID, "name": col.Name, "members": col.Members, "custodians": col.Custodians}
	return &out, c.call(ctx, request{method: http.MethodPost, path: "/v1/collections", body: body, stepUp: true}, &out)
}

// Collections lists the collections the caller may see.
func (c *Client) Collections(ctx context.Context) ([]Collection, error) {
	var out struct {
		Collections []Collection `json:"collections"`
	}
	return out.Collections, c.call(ctx, request{method: http.MethodGet, path: "/v1/collections"}, &out)
}

// Recipients returns the age recipients a deposit into collection must be
// sealed to, by user id: the caller and the custodians, and given the
// scopes of the deposit's consent only those whose role the consent covers,
// which are exactly the key slots the server accepts.
func (c *Client) Recipients(ctx context.Context, collection string, scopes ...string) (map[string]string, error) {
	var out struct {
		Recipients map[string]string `json:"recipients"`
	}
	req := request{method: http.MethodGet, path: "/v1/collections/" + url.PathEscape(collection) + "/recipients"}
	if len(scopes) > 0 {
		req.query = url.Values{"scopes": scopes}
	}
	if err := c.call(ctx, req, &out); err != nil {
		return nil, err
	}
	if c.Keys != nil {
		if err := c.checkRecipients(ctx, out.Recipients); err != nil {
			return nil, err
		}
	}
	return out.Recipients, nil
}
