package client

import (
	"context"
	"net/http"
)

// ConsentViolation is a key slot held by a user whose role the document's
// consent does not cover.
type ConsentViolation struct {
	Doc        string   `json:"doc"`
	Collection string   `json:"collection"`
	User       string   `json:"user"`
	Role       string   `json:"role"`
	As         string   `json:"as"` // depositor, custodian or holder
	Scopes     []string `json:"scopes"`
}

// ConsentReport is the answer of CheckConsent.
type ConsentReport struct {
	Documents  int                `json:"documents"`
	Violations []ConsentViolation `json:"violations"`
}

// CheckConsent asks the server for every key slot of an active document
// held by a user whose role the consent does not cover (admins; needs a
// step-up). A vault that keeps the consent rule has none.
func (c *Client) CheckConsent(ctx context.Context) (*ConsentReport, error) {
	var out ConsentReport
	return &out, c.call(ctx, request{method: http.MethodGet, path: "/v1/check", stepUp: true}, &out)
}
