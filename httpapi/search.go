package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amana-vault/amana/search"
)

var facetFields = []string{"collection", "kind", "language", "governorate", "tags", "year"}

type searchHit struct {
	ID           string              `json:"id"`
	Collection   string              `json:"collection"`
	Kind         string              `json:"kind"`
	Language     string              `json:"language"`
	Governorate  string              `json:"governorate,omitempty"`
	IncidentDate string              `json:"incident_date,omitempty"`
	Title        string              `json:"title"`
	Tags         []string            `json:"tags,omitempty"`
	Score        float64             `json:"score"`
	Highlights   map[string][]string `json:"highlights,omitempty"`
	// CanOpen: the caller holds a key slot for the document and may
	// fetch it, so it can decrypt the content.
	CanOpen bool `json:"can_open,omitempty"`
}

type facetCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

type searchResponse struct {
	Total  uint64                  `json:"total"`
	From   int                     `json:"from"`
	Size   int                     `json:"size"`
	Hits   []searchHit             `json:"hits"`
	Facets map[string][]facetCount `json:"facets"`
	TookMS float64                 `json:"took_ms"`
}

const maxQueryParams = 4096

func intParam(q url.Values, name string, def int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, newError(http.StatusBadRequest, "invalid", "%s must be a non-negative integer", name)
	}
	return n, nil
}

// handleSearch searches redacted public metadata in the caller's
// collections only; the filter is part of the index query, so totals and
// facets never count other collections. The query text is audited only as
// its keyed hash.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQueryParams {
		s.writeError(w, r, newError(http.StatusRequestURITooLong, "too_large", "query string too long"))
		return
	}
	if s.cfg.Index == nil {
		s.writeError(w, r, newError(http.StatusServiceUnavailable, "unavailable", "search is not available"))
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "malformed query string"))
		return
	}
	for _, vals := range q {
		for _, v := range vals {
			if !utf8.ValidString(v) {
				s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "query parameters must be valid UTF-8"))
				return
			}
		}
	}
	from, err := intParam(q, "from", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size, err := intParam(q, "size", search.DefaultSize)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req := search.Request{
		Query:     q.Get("q"),
		From:      q.Get("incident_from"),
		To:        q.Get("incident_to"),
		Offset:    from,
		Size:      size,
		Sort:      q.Get("sort"),
		Highlight: q.Get("highlight") == "true" || q.Get("highlight") == "1",
		Filters:   map[string][]string{},
	}
	for _, f := range q["facets"] {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				req.Facets = append(req.Facets, name)
			}
		}
	}
	for _, f := range facetFields {
		if vals := q[f]; len(vals) > 0 {
			req.Filters[f] = vals
		}
	}
	c := s.caller(r, "")
	cols, err := s.cfg.Vault.SearchScope(c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Collections = cols
	if v := q.Get("openable"); v == "true" || v == "1" {
		// Only the documents the caller can open.
		if req.IDs, err = s.cfg.Vault.OpenableIDs(c); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	res, err := s.cfg.Index.SearchContext(r.Context(), req)
	if r.Context().Err() != nil {
		return // the client went away: nothing to answer, nothing was read
	}
	if err != nil {
		outcome := "error"
		if errors.Is(err, search.ErrBadRequest) {
			outcome = "invalid"
		}
		s.cfg.Vault.Record(c, "search", outcome, nil)
		s.writeError(w, r, err)
		return
	}
	// Fail closed: no audit event, no results.
	if err := s.cfg.Vault.RecordSearch(c, req.Query, res.Total); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := searchResponse{Total: res.Total, From: from, Size: len(res.Hits), Hits: []searchHit{}, Facets: map[string][]facetCount{}, TookMS: float64(res.Took.Microseconds()) / 1000}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	openable, err := s.cfg.Vault.Openable(c, ids)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, h := range res.Hits {
		out.Hits = append(out.Hits, searchHit{ID: h.ID, Collection: h.Collection, Kind: h.Kind, Language: h.Language,
			Governorate: h.Governorate, IncidentDate: h.IncidentDate, Title: h.Title, Tags: h.Tags, Score: h.Score, Highlights: h.Highlights,
			CanOpen: openable[h.ID]})
	}
	for name, counts := range res.Facets {
		fc := make([]facetCount, 0, len(counts))
		for _, c := range counts {
			fc = append(fc, facetCount{Term: c.Term, Count: c.Count})
		}
		out.Facets[name] = fc
	}
	writeJSON(w, http.StatusOK, out)
}
