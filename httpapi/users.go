package httpapi

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/pquerna/otp"

	"github.com/amana-vault/amana/vault"
)

// userJSON is a user as the API shows it: never a secret.
type userJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Recipient  string    `json:"recipient"`
	SigningKey string    `json:"signing_key,omitempty"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
}

func toUserJSON(u *vault.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Role: u.Role, Recipient: u.Recipient, SigningKey: u.SigningKey, State: u.State, CreatedAt: u.CreatedAt}
}

type createUserRequest struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	Recipient  string `json:"recipient"`
	SigningKey string `json:"signing_key,omitempty"`
	TOTPSecret string `json:"totp_secret,omitempty"`
	QR         bool   `json:"qr,omitempty"`
}

type createUserResponse struct {
	User    userJSON `json:"user"`
	TOTPURL string   `json:"totp_url"`
	QRPNG   string   `json:"totp_qr_png,omitempty"` // base64 PNG of the otpauth URL
}

// handleCreateUser creates a user and returns its TOTP URL, once.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, url, err := s.cfg.Vault.AddUser(s.caller(r, ""), vault.NewUser{
		ID: req.ID, Name: req.Name, Role: req.Role, Recipient: req.Recipient, SigningKey: req.SigningKey, TOTPSecret: req.TOTPSecret,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp := createUserResponse{User: toUserJSON(u), TOTPURL: url}
	if req.QR {
		if key, err := otp.NewKeyFromURL(url); err == nil {
			if img, err := key.Image(256, 256); err == nil {
				var buf bytes.Buffer
				if png.Encode(&buf, img) == nil {
					resp.QRPNG = base64.StdEncoding.EncodeToString(buf.Bytes())
				}
			}
		}
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.cfg.Vault.ListUsers(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]userJSON, 0, len(users))
	for i := range users {
		out = append(out, toUserJSON(&users[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

type updateUserRequest struct {
	Name       *string `json:"name,omitempty"`
	State      *string `json:"state,omitempty"`
	Recipient  *string `json:"recipient,omitempty"`
	SigningKey *string `json:"signing_key,omitempty"`
}

func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	var req updateUserRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	u, err := s.cfg.Vault.UpdateUser(s.caller(r, ""), id, vault.UserUpdate{
		Name: req.Name, State: req.State, Recipient: req.Recipient, SigningKey: req.SigningKey,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if u.State != vault.StateActive {
		s.sessions.revokeUser(id)
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) handleUserRecipient(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	rcpt, signingKey, err := s.cfg.Vault.UserKeys(s.caller(r, ""), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "recipient": rcpt, "signing_key": signingKey})
}

type collectionRequest struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Members    []string `json:"members"`
	Custodians []string `json:"custodians"`
}

func (s *Server) handleCreateCollection(w http.ResponseWriter, r *http.Request) {
	var req collectionRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	col, err := s.cfg.Vault.CreateCollection(s.caller(r, ""), vault.Collection{
		ID: req.ID, Name: req.Name, Members: req.Members, Custodians: req.Custodians,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, col)
}

type updateCollectionRequest struct {
	AddMembers       []string `json:"add_members,omitempty"`
	RemoveMembers    []string `json:"remove_members,omitempty"`
	AddCustodians    []string `json:"add_custodians,omitempty"`
	RemoveCustodians []string `json:"remove_custodians,omitempty"`
}

func (s *Server) handleUpdateCollection(w http.ResponseWriter, r *http.Request) {
	var req updateCollectionRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	col, err := s.cfg.Vault.UpdateCollection(s.caller(r, ""), mux.Vars(r)["id"], vault.CollectionUpdate{
		AddMembers: req.AddMembers, RemoveMembers: req.RemoveMembers,
		AddCustodians: req.AddCustodians, RemoveCustodians: req.RemoveCustodians,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, col)
}

func (s *Server) handleListCollections(w http.ResponseWriter, r *http.Request) {
	cols, err := s.cfg.Vault.ListCollections(s.caller(r, ""))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cols == nil {
		cols = []vault.Collection{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": cols})
}

// handleRecipients answers whom a deposit must be sealed to; with
// ?scopes=research,legal_proceedings (the deposit's consent), only those
// whose role the consent covers.
func (s *Server) handleRecipients(w http.ResponseWriter, r *http.Request) {
	rs, err := s.cfg.Vault.CollectionRecipients(s.caller(r, ""), mux.Vars(r)["id"], consentScopes(r)...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": mux.Vars(r)["id"], "recipients": rs})
}
