// Package client is the Amana API client: it talks to an Amana server and
// does all encryption and decryption on the user's machine, with the user's
// age identity, through package envelope. The server never receives a
// private key, plaintext content or private metadata from it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// Error is an error answered by the server.
type Error struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d", e.Status)
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// IsStatus reports whether err is a server error with this status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Client is a connection to one server as one user.
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:8443"
	HTTP    *http.Client // nil: http.DefaultClient
	Token   string       // bearer token from Login
	// TOTP, if set, is asked for a fresh code when the server requires a
	// step-up for a sensitive action; the request is then retried once.
	TOTP func() (string, error)
	// Keys, if set, checks every user's keys before the client encrypts to
	// them or trusts a signature with them (deposits, grants, rekeys,
	// reads): see KeyPins. Nil trusts the keys the server gives.
	Keys KeyVerifier
	// User is who the client is logged in as (set by Login), and Signer,
	// if set, that user's signing key: deposits are signed with it unless
	// the request brings its own.
	User   string
	Signer ssh.Signer
	// Now is the clock deposits are signed with (nil: time.Now); the
	// server refuses a manifest dated more than a few minutes from its own.
	Now func() time.Time
}

// New returns a client for the server at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/")}
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	body         any       // JSON-encoded if not nil
	raw          io.Reader // sent as is, with contentType
	contentType  string
	header       http.Header
	stepUp       bool // may need a fresh TOTP code
}

// do sends req and returns the response for a 2xx status; other statuses
// are decoded into *Error. The caller closes the body.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	resp, err := c.send(ctx, req, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && req.stepUp && c.TOTP != nil && req.raw == nil {
		var e *Error
		if err := readError(resp); errors.As(err, &e) && e.Code == "step_up_required" {
			code, terr := c.TOTP()
			if terr != nil {
				return nil, terr
			}
			resp, err = c.send(ctx, req, code)
			if err != nil {
				return nil, err
			}
		} else {
			return nil, err
		}
	}
	if resp.StatusCode/100 != 2 {
		return nil, readError(resp)
	}
	return resp, nil
}

func (c *Client) send(ctx context.Context, req request, totp string) (*http.Response, error) {
	u := c.BaseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	ct := req.contentType
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	} else if req.raw != nil {
		body = req.raw
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if totp != "" {
		hr.Header.Set("X-Amana-TOTP", totp)
	}
	return c.http().Do(hr)
}

func readError(resp *http.Response) error {
	defer resp.Body.Close()
	var body struct {
		Error Error `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &body.Error
	if json.Unmarshal(data, &body) != nil || e.Code == "" {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	e.Status = resp.StatusCode
	return e
}

// call sends req and decodes a JSON answer into out (if not nil).
func (c *Client) call(ctx context.Context, req request, out any) error {
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 64<<20))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decoding %s %s answer: %w", req.method, req.path, err)
	}
	return nil
}

// bytesOf fetches a small binary answer (a key slot, private metadata).
func (c *Client) bytesOf(ctx context.Context, path string, max int64) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", path, max)
	}
	return b, nil
}

// Health is the server's liveness answer.
type Health struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Unsealed bool   `json:"unsealed"`
}

// Health asks whether the server is up.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	return &h, c.call(ctx, request{method: http.MethodGet, path: "/v1/health"}, &h)
}

// Session is a logged-in session.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      string    `json:"user"`
	Role      string    `json:"role"`
}

// Login proves possession of the user's age identity (by decrypting the
// server's challenge) and of its TOTP device, and keeps the token.
func (c *Client) Login(ctx context.Context, user string, ids []age.Identity, totp string) (*Session, error) {
	var ch struct {
		ChallengeID string `json:"challenge_id"`
		Challenge   string `json:"challenge"`
	}
	if err := c.call(ctx, request{method: http.MethodPost, path: "/v1/auth/challenge", body: map[string]string{"user": user}}, &ch); err != nil {
		return nil, err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(ch.Challenge)), ids...)
	if err != nil {
		return nil, fmt.Errorf("the login challenge does not open with this identity: %w", err)
	}
	resp, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return nil, fmt.Errorf("login challenge: %w", err)
	}
	var s Session
	err = c.call(ctx, request{method: http.MethodPost, path: "/v1/auth/login", body: map[string]string{
		"user": user, "challenge_id": ch.ChallengeID, "response": string(resp), "totp": totp,
	}}, &s)
	if err != nil {
		return nil, err
	}
	c.Token, c.User = s.Token, user
	return &s, nil
}

// Logout ends the session.
func (c *Client) Logout(ctx context.Context) error {
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/auth/logout"}, nil)
	c.Token = ""
	return err
}
