package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// SearchParams is one search.
type SearchParams struct {
	Query                    string
	Facets                   []string
	Filters                  map[string][]string // collection, kind, language, governorate, tags, year
	IncidentFrom, IncidentTo string
	From, Size               int
	Sort                     string
	Highlight                bool
	Openable                 bool // only the documents the caller can open
}

// Search searches the redacted public metadata of the caller's collections.
func (c *Client) Search(ctx context.Context, p SearchParams) (*SearchResult, error) {
	q := url.Values{}
	if p.Query != "" {
		q.Set("q", p.Query)
	}
	if len(p.Facets) > 0 {
		q.Set("facets", strings.Join(p.Facets, ","))
	}
	for k, vs := range p.Filters {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	if p.IncidentFrom != "" {
		q.Set("incident_from", p.IncidentFrom)
	}
	if p.IncidentTo != "" {
		q.Set("incident_to", p.IncidentTo)
	}
	if p.From > 0 {
		q.Set("from", strconv.Itoa(p.From))
	}
	if p.Size > 0 {
		q.Set("size", strconv.Itoa(p.Size))
	}
	if p.Sort != "" {
		q.Set("sort", p.Sort)
	}
	if p.Highlight {
		q.Set("highlight", "true")
	}
	if p.Openable {
		q.Set("openable", "true")
	}
	var out SearchResult
	return &out, c.call(ctx, request{method: http.MethodGet, path: "/v1/search", query: q}, &out)
}
