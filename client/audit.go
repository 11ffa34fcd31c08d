package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// AuditEvents returns up to limit events from seq after on, each exactly
// as its leaf data in the Merkle tree, and the seq to continue from.
func (c *Client) AuditEvents(ctx context.Context, after int64, limit int) ([]json.RawMessage, int64, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Events []json.RawMessage `json:"events"`
		Next   int64             `json:"next"`
	}
	err := c.call(ctx, request{method: http.MethodGet, path: "/v1/audit/events", query: q}, &out)
	return out.Events, out.Next, err
}

// Checkpoint returns a freshly signed checkpoint note.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.bytesOf(ctx, "/v1/audit/checkpoint", 64<<10)
}

// Verifier returns the log's note verifier key, as the server states it.
// Compare it with the key you were given at init.
func (c *Client) Verifier(ctx context.Context) (string, error) {
	b, err := c.bytesOf(ctx, "/v1/audit/verifier", 4<<10)
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return string(b), err
}

// InclusionProof proves that event seq is in the tree of the given size.
func (c *Client) InclusionProof(ctx context.Context, seq, size int64) (tlog.RecordProof, error) {
	var out struct {
		Proof []tlog.Hash `json:"proof"`
	}
	q := url.Values{"seq": {strconv.FormatInt(seq, 10)}, "size": {strconv.FormatInt(size, 10)}}
	return out.Proof, c.call(ctx, request{method: http.MethodGet, path: "/v1/audit/proof/inclusion", query: q}, &out)
}

// ConsistencyProof proves that the tree of size oldSize is a prefix of the
// tree of size newSize.
func (c *Client) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	var out struct {
		Proof []tlog.Hash `json:"proof"`
	}
	q := url.Values{"old": {strconv.FormatInt(oldSize, 10)}, "new": {strconv.FormatInt(newSize, 10)}}
	return out.Proof, c.call(ctx, request{method: http.MethodGet, path: "/v1/audit/proof/consistency", query: q}, &out)
}

// HMAC returns the keyed hash under which the log records value (admins,
// step-up; the server allows each user a few a minute).
func (c *Client) HMAC(ctx context.Context, value string) (string, error) {
	var out struct {
		HMAC string `json:"hmac"`
	}
	return out.HMAC, c.call(ctx, request{method: http.MethodPost, path: "/v1/audit/hmac", body: map[string]string{"value": value}, stepUp: true}, &out)
}
