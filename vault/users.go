package vault

import (
	"encoding/base32"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/recipient"
	"github.com/amana-vault/amana/sshsig"
	"github.com/amana-vault/amana/vault/audit"
)

// TOTPIssuer names the service in authenticator apps.
const TOTPIssuer = "Amana"

func checkNewUser(u *NewUser) error {
	if err := checkID("id", u.ID); err != nil {
		return err
	}
	if u.Name == "" {
		u.Name = u.ID
	}
	if err := checkText("name", u.Name, MaxName, true, false); err != nil {
		return err
	}
	if !slices.Contains(roles, u.Role) {
		return invalid("role", "must be one of %s", strings.Join(roles, ", "))
	}
	r, err := recipient.Normalize(u.Recipient)
	if err != nil {
		return invalid("recipient", "%v", err)
	}
	u.Recipient = r
	if u.SigningKey != "" {
		k, err := normalizeSigningKey(u.SigningKey)
		if err != nil {
			return err
		}
		u.SigningKey = k
	}
	if u.TOTPSecret != "" {
		if _, err := decodeTOTPSecret(u.TOTPSecret); err != nil {
			return invalid("totp_secret", "must be base32 of at least 16 bytes")
		}
	}
	return nil
}

// normalizeSigningKey returns the form of a signing public key that is
// stored: "TYPE BASE64", without the comment, which often carries an
// e-mail address or a host name.
func normalizeSigningKey(s string) (string, error) {
	pub, err := sshsig.ParsePublicKey(s)
	if err != nil {
		return "", invalid("signing_key", "%v", err)
	}
	return sshsig.AuthorizedKey(pub), nil
}

func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, err
	}
	if len(b) < 16 {
		return nil, errors.New("short secret")
	}
	return b, nil
}

// putNewUser stores u with a sealed TOTP secret and returns the otpauth URL,
// the only time the secret leaves the vault.
func (v *Vault) putNewUser(tx *bbolt.Tx, nu NewUser) (string, error) {
	b := tx.Bucket(bucketUsers)
	if b.Get([]byte(nu.ID)) != nil {
		return "", ErrExists
	}
	opts := totp.GenerateOpts{
		Issuer:      TOTPIssuer,
		AccountName: nu.ID,
		SecretSize:  20,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	}
	if nu.TOTPSecret != "" {
		opts.Secret, _ = decodeTOTPSecret(nu.TOTPSecret)
	}
	key, err := totp.Generate(opts)
	if err != nil {
		return "", err
	}
	sealed, err := v.keys.seal([]byte(key.Secret()), "totp:"+nu.ID)
	if err != nil {
		return "", err
	}
	u := &User{
		ID:         nu.ID,
		Name:       nu.Name,
		Role:       nu.Role,
		Recipient:  nu.Recipient,
		SigningKey: nu.SigningKey,
		State:      StateActive,
		CreatedAt:  v.opts.Now().UTC(),
		TOTPSealed: sealed,
	}
	if err := putUser(tx, u); err != nil {
		return "", err
	}
	return key.URL(), nil
}

func putUser(tx *bbolt.Tx, u *User) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUsers).Put([]byte(u.ID), data)
}

func getUser(tx *bbolt.Tx, id string) (*User, error) {
	data := tx.Bucket(bucketUsers).Get([]byte(id))
	if data == nil {
		return nil, ErrNotFound
	}
	var u User
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// activeUser returns the caller's record, or ErrForbidden when the caller
// is unknown, disabled or locked.
func (v *Vault) activeUser(tx *bbolt.Tx, id string) (*User, error) {
	u, err := getUser(tx, id)
	if err != nil {
		return nil, ErrForbidden
	}
	if u.State != StateActive {
		return nil, ErrForbidden
	}
	return u, nil
}

// public returns u without its secrets, for callers outside the vault.
func (u User) public() User {
	u.TOTPSealed = nil
	u.TOTPLastStep = 0
	return u
}

// AddUser creates a user (admins only) and returns it with the otpauth URL
// of its new TOTP secret. The URL is shown once: the vault keeps only the
// sealed secret.
func (v *Vault) AddUser(c Caller, nu NewUser) (*User, string, error) {
	var url string
	var created User
	err := v.update(c, "user.create", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = nu.ID
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		n := nu
		if err := checkNewUser(&n); err != nil {
			return err
		}
		var err error
		if url, err = v.putNewUser(tx, n); err != nil {
			return err
		}
		u, err := getUser(tx, n.ID)
		if err != nil {
			return err
		}
		created = u.public()
		ev.Detail = map[string]string{"role": n.Role}
		bindKeys(ev, u, nil)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return &created, url, nil
}

// GetUser returns a user's public record: to admins for anyone, and to
// every active user for themselves.
func (v *Vault) GetUser(c Caller, id string) (*User, error) {
	var out User
	err := v.update(c, "user.read", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = id
		me, err := v.activeUser(tx, c.User)
		if err != nil {
			return err
		}
		rel := RelNone
		if me.ID == id {
			rel = RelSelf
		}
		if err := Authorize(me.Role, ev.Action, rel); err != nil {
			return err
		}
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		out = u.public()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListUsers returns every user (admins only), sorted by id.
func (v *Vault) ListUsers(c Caller) ([]User, error) {
	var out []User
	err := v.update(c, "user.list", func(tx *bbolt.Tx, ev *audit.Event) error {
		out = out[:0]
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).ForEach(func(k, data []byte) error {
			var u User
			if err := json.Unmarshal(data, &u); err != nil {
				return err
			}
			out = append(out, u.public())
			return nil
		})
	})
	return out, err
}

// UserUpdate changes a user; nil fields are left as they are.
type UserUpdate struct {
	Name      *string
	State     *string // active or disabled; locked is set by failed logins
	Recipient *string
	// SigningKey replaces the signing public key; "" removes it.
	SigningKey *string
}

// UpdateUser changes a user (admins only). An admin cannot disable itself,
// and the last active admin cannot be disabled.
func (v *Vault) UpdateUser(c Caller, id string, up UserUpdate) (*User, error) {
	var out User
	err := v.update(c, "user.update", func(tx *bbolt.Tx, ev *audit.Event) error {
		ev.Target = id
		if err := v.may(tx, c, ev.Action); err != nil {
			return err
		}
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		old := *u
		ev.Detail = map[string]string{}
		if up.Name != nil {
			if err := checkText("name", *up.Name, MaxName, true, false); err != nil {
				return err
			}
			u.Name = *up.Name
			ev.Detail["name"] = "changed"
		}
		if up.Recipient != nil {
			r, err := recipient.Normalize(*up.Recipient)
			if err != nil {
				return invalid("recipient", "%v", err)
			}
			u.Recipient = r
		}
		if up.SigningKey != nil {
			k := ""
			if *up.SigningKey != "" {
				var err error
				if k, err = normalizeSigningKey(*up.SigningKey); err != nil {
					return err
				}
			}
			u.SigningKey = k
		}
		if up.Recipient != nil || up.SigningKey != nil {
			// The log binds the user to its keys, in clear (public
			// keys): the new ones, and those they replace.
			bindKeys(ev, u, &old)
		}
		if up.State != nil {
			switch *up.State {
			case StateActive:
				u.Failures = 0
				u.LockedUntil = time.Time{}
			case StateDisabled:
				if id == c.User {
					return &InvalidError{Field: "state", Reason: "an admin cannot disable itself"}
				}
				if u.Role == RoleAdmin {
					n, err := countActiveAdmins(tx)
					if err != nil {
						return err
					}
					if n <= 1 {
						return ErrConflict
					}
				}
			default:
				return invalid("state", "must be active or disabled")
			}
			u.State = *up.State
			ev.Detail["state"] = *up.State
		}
		if err := putUser(tx, u); err != nil {
			return err
		}
		out = u.public()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func countActiveAdmins(tx *bbolt.Tx) (int, error) {
	n := 0
	err := tx.Bucket(bucketUsers).ForEach(func(k, data []byte) error {
		var u User
		if err := json.Unmarshal(data, &u); err != nil {
			return err
		}
		if u.Role == RoleAdmin && u.State == StateActive {
			n++
		}
		return nil
	})
	return n, err
}
