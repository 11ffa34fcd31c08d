package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// AccessRequest is a pending request for a key slot for a document.
type AccessRequest struct {
	Document    string    `json:"document"`
	Collection  string    `json:"collection"`
	User        string    `json:"user"` // the requester
	Role        string    `json:"role"`
	RequestedAt time.Time `json:"requested_at"`
	// DeclinedAt and AskAgainAt are set for a request a keeper declined:
	// when, and from when its requester may ask again.
	DeclinedAt *time.Time `json:"declined_at,omitempty"`
	AskAgainAt *time.Time `json:"ask_again_at,omitempty"`
}

type accessRequests struct {
	Requests []AccessRequest `json:"requests"`
}

// RequestAccess asks the keepers of document id (its depositor, the
// custodians of its collection, admins holding a slot) for a key slot. The
// request carries no text. Asking again returns the pending request.
func (c *Client) RequestAccess(ctx context.Context, id string) (*AccessRequest, error) {
	var out AccessRequest
	if err := c.call(ctx, request{method: http.MethodPost, path: docPath(id, "requests")}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DocumentRequests lists the pending requests for document id; only its
// keepers may, and anyone else is told the document is not found.
func (c *Client) DocumentRequests(ctx context.Context, id string) ([]AccessRequest, error) {
	var out accessRequests
	if err := c.call(ctx, request{method: http.MethodGet, path: docPath(id, "requests")}, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// Requests lists the pending requests for every document the caller keeps:
// those it can grant with Grant.
func (c *Client) Requests(ctx context.Context) ([]AccessRequest, error) {
	var out accessRequests
	if err := c.call(ctx, request{method: http.MethodGet, path: "/v1/requests"}, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// PendingRequest returns user's request for document id, pending or
// declined while the decline stands (DeclinedAt set): a user may read their
// own, a keeper anyone's. With no such request the error is a 404
// (IsStatus(err, 404)).
func (c *Client) PendingRequest(ctx context.Context, id, user string) (*AccessRequest, error) {
	var out AccessRequest
	if err := c.call(ctx, request{method: http.MethodGet, path: docPath(id, "requests", url.PathEscape(user))}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Decline declines user's pending request for document id without
// granting it; only the document's keepers may.
func (c *Client) Decline(ctx context.Context, id, user string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: docPath(id, "requests", url.PathEscape(user))}, nil)
}
