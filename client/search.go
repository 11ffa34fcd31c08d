package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	Literal                  bool   // only the words typed: no thesaurus, no phrase clauses
	Labels                   string // language of facet labels: en, ar or ckb ("": the server's default)
	Openable                 bool   // only the documents the caller can open
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
	if p.Literal {
		q.Set("literal", "true")
	}
	if p.Labels != "" {
		q.Set("labels", p.Labels)
	}
	if p.Openable {
		q.Set("openable", "true")
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/search", query: q})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out SearchResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding GET /v1/search answer: %w", err)
	}
	out.TookMS = serverTiming(resp.Header.Get("Server-Timing"), "index")
	return &out, nil
}

// serverTiming returns the dur of metric name in a Server-Timing header
// ("index;dur=1.25"), or 0.
func serverTiming(h, name string) float64 {
	for _, m := range strings.Split(h, ",") {
		parts := strings.Split(strings.TrimSpace(m), ";")
		if parts[0] != name {
			continue
		}
		for _, p := range parts[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "dur="); ok {
				d, _ := strconv.ParseFloat(v, 64)
				return d
			}
		}
	}
	return 0
}
