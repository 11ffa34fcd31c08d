package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Custody is a document's custody trail with inclusion proofs.
type Custody struct {
	Document string            `json:"document"`
	Events   []json.RawMessage `json:"events"`
	Proofs   []struct {
		Seq   int64       `json:"seq"`
		Proof []tlog.Hash `json:"proof"`
	} `json:"proofs"`
	Checkpoint string `json:"checkpoint"`
	Verifier   string `json:"verifier"`
}

// Custody fetches a document's custody trail (slot holders, auditors,
// admins).
func (c *Client) Custody(ctx context.Context, id string) (*Custody, error) {
	var out Custody
	return &out, c.call(ctx, request{method: http.MethodGet, path: docPath(id, "custody")}, &out)
}

// StatsCell is one group of advocacy statistics; Count is a number or
// "suppressed".
type StatsCell struct {
	Key   map[string]string `json:"key"`
	Count string            `json:"count"`
}

// Stats is the answer to Stats.
type Stats struct {
	By        []string    `json:"by"`
	Total     string      `json:"total"`
	Cells     []StatsCell `json:"cells"`
	SmallCell int         `json:"small_cell"`
}

// Stats counts documents whose consent includes advocacy, grouped by the
// given dimensions (governorate, year, kind), small cells suppressed.
func (c *Client) Stats(ctx context.Context, by []string) (*Stats, error) {
	q := url.Values{}
	if len(by) > 0 {
		q.Set("by", strings.Join(by, ","))
	}
	var out Stats
	return &out, c.call(ctx, request{method: http.MethodGet, path: "/v1/stats", query: q}, &out)
}

// Backup streams a consistent copy of the vault file (admins, step-up).
// The caller closes the reader; a truncated stream is an error.
func (c *Client) Backup(ctx context.Context) (io.ReadCloser, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/backup", stepUp: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
