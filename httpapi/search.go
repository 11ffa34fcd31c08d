package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	Match        *searchMatch        `json:"match,omitempty"`
	Highlights   map[string][]string `json:"highlights,omitempty"`
	// CanOpen: the caller holds a key slot for the document and may
	// fetch it, so it can decrypt the content.
	CanOpen bool `json:"can_open,omitempty"`
}

// searchMatch says how a hit matched the query's words: in which
// language's fields, and whether as typed ("words") or only through the
// thesaurus ("thesaurus").
type searchMatch struct {
	Language string `json:"language"`
	Via      string `json:"via"`
}

// searchConcept is a thesaurus concept the query was expanded with.
type searchConcept struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

type facetCount struct {
	Term  string `json:"term"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// searchParams are the query parameters GET /v1/search knows, besides
// the filters (facetFields); any other is refused by name.
var searchParams = []string{"q", "facets", "from", "size", "sort", "highlight", "literal", "incident_from", "incident_to", "labels", "openable"}

// labelLang is the language of facet labels: the labels parameter, else
// the first of Accept-Language's languages that has labels, else English.
func labelLang(q url.Values, r *http.Request) string {
	if l := q.Get("labels"); l != "" {
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if slices.Contains(search.LabelLanguages, base) {
			return base
		}
	}
	return "en"
}

type searchResponse struct {
	Total  uint64                  `json:"total"`
	From   int                     `json:"from"`
	Size   int                     `json:"size"`
	Hits   []searchHit             `json:"hits"`
	Facets map[string][]facetCount `json:"facets"`
	// Concepts are the thesaurus concepts whose terms, in every
	// language, the query also searched.
	Concepts []searchConcept `json:"concepts,omitempty"`
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
	var unknown []string
	for name := range q {
		if !slices.Contains(searchParams, name) && !slices.Contains(facetFields, name) {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		s.writeError(w, r, newError(http.StatusBadRequest, "invalid", "unknown parameter %s (parameters: %s; filters: %s)",
			strings.Join(unknown, ", "), strings.Join(searchParams, ", "), strings.Join(facetFields, ", ")))
		return
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
		Literal:   q.Get("literal") == "true" || q.Get("literal") == "1",
		Filters:   map[string][]string{},
		LabelLang: labelLang(q, r),
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
	// The body depends only on the caller's collections (see package
	// search): no scores, and the time the index took goes in a header.
	out := searchResponse{Total: res.Total, From: from, Size: len(res.Hits), Hits: []searchHit{}, Facets: map[string][]facetCount{}}
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
		hit := searchHit{ID: h.ID, Collection: h.Collection, Kind: h.Kind, Language: h.Language,
			Governorate: h.Governorate, IncidentDate: h.IncidentDate, Title: h.Title, Tags: h.Tags, Highlights: h.Highlights,
			CanOpen: openable[h.ID]}
		if h.Via != "" {
			hit.Match = &searchMatch{Language: h.Language, Via: h.Via}
		}
		out.Hits = append(out.Hits, hit)
	}
	for _, id := range res.Concepts {
		out.Concepts = append(out.Concepts, searchConcept{ID: id, Label: search.Label("tags", id, req.LabelLang)})
	}
	for name, counts := range res.Facets {
		fc := make([]facetCount, 0, len(counts))
		for _, c := range counts {
			fc = append(fc, facetCount{Term: c.Term, Label: c.Label, Count: c.Count})
		}
		out.Facets[name] = fc
	}
	w.Header().Set("Server-Timing", fmt.Sprintf("index;dur=%.3f", float64(res.Took.Microseconds())/1000))
	writeJSON(w, http.StatusOK, out)
}
