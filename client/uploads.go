package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Upload is one of the caller's unfinished resumable uploads, as GET
// /v1/uploads lists it.
type Upload struct {
	ID       string    `json:"id"`
	Location string    `json:"location"` // /v1/uploads/ID
	Length   int64     `json:"length"`
	Offset   int64     `json:"offset"` // bytes the server holds durably
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	Metadata string    `json:"metadata,omitempty"` // Upload-Metadata as sent
}

// Uploads lists the caller's unfinished uploads, oldest first. Each counts
// against the caller's quota until it is used by a deposit, cancelled, or
// expires.
func (c *Client) Uploads(ctx context.Context) ([]Upload, error) {
	var out struct {
		Uploads []Upload `json:"uploads"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/v1/uploads"}, &out); err != nil {
		return nil, err
	}
	return out.Uploads, nil
}

// IsUploadQuota reports whether err is the server's refusal of a new
// upload for the caller's quota: too many unfinished uploads, or too many
// bytes in them.
func IsUploadQuota(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && (ae.Code == "too_many_uploads" || ae.Code == "upload_quota")
}

// CancelUpload terminates the caller's upload id (tus termination): the
// server discards its bytes. An upload that is not the caller's, or is
// gone, is a 404 (IsStatus(err, 404)).
func (c *Client) CancelUpload(ctx context.Context, id string) error {
	if id == "" || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return fmt.Errorf("%q is not an upload id", id)
	}
	return c.terminateUpload(ctx, "/v1/uploads/"+id)
}

// spoolKey is the Upload-Metadata key under which a resumable deposit
// names its spool's token, so that an upload whose address was never
// written down (the process was killed, or the answer to the creation was
// lost) can be found again in Uploads.
const spoolKey = "amana-spool"

// spoolMetadata is the Upload-Metadata of an upload made for the spool
// with token.
func spoolMetadata(token string) string {
	return spoolKey + " " + base64.StdEncoding.EncodeToString([]byte(token))
}

// MetadataValue returns the value of key in tus Upload-Metadata md, and
// whether it is there: comma-separated pairs of a key and its value in
// base64.
func MetadataValue(md, key string) (string, bool) {
	for _, pair := range strings.Split(md, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k != key {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// findUploads returns the locations of the caller's unfinished uploads of
// size bytes made for the spool with token, oldest first.
func (c *Client) findUploads(ctx context.Context, token string, size int64) ([]string, error) {
	ups, err := c.Uploads(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, up := range ups {
		if v, ok := MetadataValue(up.Metadata, spoolKey); ok && v == token && up.Length == size {
			out = append(out, up.Location)
		}
	}
	return out, nil
}
