package search

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Limits on query strings. They keep a hostile or careless query from
// expanding into a search that occupies the server.
const (
	MaxQueryLen    = 1024 // bytes
	maxClauses     = 32   // terms and phrases in one query
	maxExpansions  = 4    // fuzzy and prefix terms in one query
	minPrefixRunes = 3    // "det*" is fine, "d*" is not
	minFuzzyRunes  = 3
	maxBoost       = 100
	// maxTermSearchers bounds the term searchers Bleve opens for one search,
	// across all fields and expansions (Bleve's MaxTermSearchersKey).
	maxTermSearchers = 8192
)

// parseQuery turns a query string into a Bleve query over this index's
// fields.
//
// The syntax is Bleve's query-string syntax: words, "phrases", +required,
// -excluded, field:value, field:"phrase", word~1 (fuzzy), word^2 (boost),
// prefix* and year:>=2015. Bleve's parser gives a flat boolean query whose
// leaves have no field or a user field name; each leaf is rewritten here:
//
//   - no field: a disjunction over every language field of title, summary
//     and transcript, each analyzed by its own language analyzer, and over
//     the folded governorate and tags (a whole value: kirkuk, "sexual
//     violence");
//   - title:, summary:, transcript:: the same over that part's fields;
//   - collection:, kind:, language:, governorate:, tags: the keyword's
//     folded twin, so governorate:kirkuk finds "Kirkuk";
//   - year:2017 the year keyword, year:>=2015 a range on the incident dates.
//
// Regular expressions, wildcards other than one trailing *, date ranges and
// unknown fields are refused with ErrBadQuery.
func parseQuery(s string) (query.Query, error) {
	pq, err := parseQueryOpts(s, false)
	if err != nil {
		return nil, err
	}
	return pq.q, nil
}

// parsedQuery is a rewritten query string and what the rewrite found.
type parsedQuery struct {
	q query.Query
	// plain is q without thesaurus expansions (nil when it has none).
	plain query.Query
	// langs and notLangs are the values of lang: and -lang: clauses:
	// documents must be in one of langs and in none of notLangs.
	langs, notLangs []string
	// concepts are the thesaurus concepts the query was expanded with.
	concepts []string
	// must, should and mustNot are the clauses of q.
	must, should, mustNot []query.Query
	expanded              bool
}

// Limits on what a query's rewrite adds.
const (
	maxConcepts    = 6   // thesaurus concepts per query
	expansionBoost = 0.6 // a thesaurus term weighs less than the words typed
	phraseBoost    = 2   // the words typed, in order, side by side
	maxPhraseWords = 6   // longer queries get no phrase or proximity clause
)

// parseQueryOpts rewrites s; with expand, the words that name a concept of
// the thesaurus also search its terms in every language, and several
// plain words also score as a phrase and by proximity.
func parseQueryOpts(s string, expand bool) (*parsedQuery, error) {
	if len(s) > MaxQueryLen {
		return nil, badQuery("query longer than %d bytes", MaxQueryLen)
	}
	s = clean(s)
	if strings.TrimSpace(s) == "" {
		return &parsedQuery{q: query.NewMatchAllQuery()}, nil
	}
	parsed, err := query.NewQueryStringQuery(s).Parse()
	if err != nil {
		return nil, badQuery("%v", err)
	}
	bq, ok := parsed.(*query.BooleanQuery)
	if !ok {
		return nil, badQuery("unsupported query")
	}
	clauses := func(q query.Query) []query.Query {
		switch t := q.(type) {
		case *query.ConjunctionQuery:
			return t.Conjuncts
		case *query.DisjunctionQuery:
			return t.Disjuncts
		}
		return nil
	}
	must, should, mustNot := clauses(bq.Must), clauses(bq.Should), clauses(bq.MustNot)
	if n := len(must) + len(should) + len(mustNot); n > maxClauses {
		return nil, badQuery("%d terms, at most %d allowed", n, maxClauses)
	} else if n == 0 {
		return nil, badQuery("empty query")
	}
	pq := &parsedQuery{}
	// lang:ar restricts the documents, it matches no words.
	takeLangs := func(qs []query.Query, into *[]string) ([]query.Query, error) {
		var rest []query.Query
		for _, q := range qs {
			m, ok := q.(*query.MatchQuery)
			if !ok || m.FieldVal != "lang" {
				rest = append(rest, q)
				continue
			}
			l := strings.ToLower(strings.TrimSpace(m.Match))
			if !slices.Contains(languages, l) {
				return nil, badQuery("lang:%s: unknown language (languages: %s)", m.Match, strings.Join(languages, ", "))
			}
			*into = append(*into, l)
		}
		return rest, nil
	}
	if must, err = takeLangs(must, &pq.langs); err != nil {
		return nil, err
	}
	if should, err = takeLangs(should, &pq.langs); err != nil {
		return nil, err
	}
	if mustNot, err = takeLangs(mustNot, &pq.notLangs); err != nil {
		return nil, err
	}
	if len(must)+len(should)+len(mustNot) == 0 {
		pq.q = query.NewMatchAllQuery()
		return pq, nil
	}

	build := func(expand bool) (query.Query, error) {
		r := rewriter{expand: expand}
		out := make([][]query.Query, 3)
		for i, qs := range [][]query.Query{must, should, mustNot} {
			for _, q := range qs {
				nq, err := r.leaf(q)
				if err != nil {
					return nil, err
				}
				out[i] = append(out[i], nq)
			}
		}
		if expand {
			extra, err := r.wordRuns(should)
			if err != nil {
				return nil, err
			}
			out[1] = append(out[1], extra...)
			pq.concepts = r.concepts
		}
		// The query-string flavour keeps Bleve's semantics: with a +term
		// present, plain terms only add score; without one, at least one
		// must match. A word no field indexes (an English stop word alone)
		// matches nothing, so "+the" finds nothing and "the detention" is
		// "detention".
		if expand == pq.expanded {
			pq.must, pq.should, pq.mustNot = out[0], out[1], out[2]
		}
		return query.NewBooleanQueryForQueryString(out[0], out[1], out[2]), nil
	}
	pq.expanded = expand
	if pq.q, err = build(expand); err != nil {
		return nil, err
	}
	if len(pq.concepts) > 0 {
		if pq.plain, err = build(false); err != nil {
			return nil, err
		}
	}
	return pq, nil
}

// wordRuns adds, for runs of plain words (no field, fuzziness or boost)
// among the optional clauses: the concepts that several words together
// name ("missing person"), and for two to maxPhraseWords words a phrase
// clause, so that documents with the words side by side rank first.
// Bleve 2.6's phrase queries have no positional slop, so there is no
// "near" clause: a clause for all the words in one field cost a tenth of
// a search's time and moved little.
func (r *rewriter) wordRuns(should []query.Query) ([]query.Query, error) {
	var words []string
	for _, q := range should {
		if m, ok := q.(*query.MatchQuery); ok && m.FieldVal == "" && m.Fuzziness == 0 && m.BoostVal == nil {
			words = append(words, m.Match)
		}
	}
	var out []query.Query
	th := theThesaurus()
	for n := 2; n <= th.maxWords && n <= len(words); n++ {
		for i := 0; i+n <= len(words); i++ {
			if q := r.expansion(strings.Join(words[i:i+n], " "), 1); q != nil {
				out = append(out, q)
			}
		}
	}
	if len(words) >= 2 && len(words) <= maxPhraseWords {
		text := strings.Join(words, " ")
		var qs []query.Query
		for _, f := range allTextFields() {
			p := query.NewMatchPhraseQuery(text)
			p.SetField(f)
			p.SetBoost(phraseBoost)
			qs = append(qs, p)
		}
		out = append(out, query.NewDisjunctionQuery(qs))
	}
	return out, nil
}

// expansion is a disjunction over the terms, in every language, of the
// thesaurus concepts text names, or nil if it names none (or the query
// has used up maxConcepts).
func (r *rewriter) expansion(text string, boost float64) query.Query {
	if !r.expand {
		return nil
	}
	th := theThesaurus()
	var qs []query.Query
	for _, c := range th.lookup(text) {
		if len(r.concepts) >= maxConcepts {
			break
		}
		if slices.Contains(r.concepts, c.id) {
			continue
		}
		r.concepts = append(r.concepts, c.id)
		for _, l := range languages {
			for _, term := range c.terms[l] {
				_, words := th.key(l, term)
				for _, p := range textParts {
					var q leafQuery
					if words > 1 {
						q = query.NewMatchPhraseQuery(term)
					} else {
						q = query.NewMatchQuery(term)
					}
					q.SetField(textField(p, l))
					q.SetBoost(boost * expansionBoost)
					qs = append(qs, q)
				}
			}
		}
		tq := query.NewTermQuery(foldKeyword(c.id))
		tq.SetField("tags" + foldSuffix)
		tq.SetBoost(boost * expansionBoost)
		qs = append(qs, tq)
	}
	if len(qs) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(qs)
}

type rewriter struct {
	expansions int
	expand     bool     // add thesaurus terms (see expansion)
	concepts   []string // concepts added so far
}

func (r *rewriter) leaf(q query.Query) (query.Query, error) {
	switch t := q.(type) {
	case *query.MatchQuery:
		return r.match(t.FieldVal, t.Match, t.Fuzziness, t.BoostVal, false)
	case *query.MatchPhraseQuery:
		return r.match(t.FieldVal, t.MatchPhrase, t.Fuzziness, t.BoostVal, true)
	case *query.DisjunctionQuery:
		// A bare number becomes "match it as text or as a number": keep the
		// text part, with the boost the parser put on the disjunction.
		for _, d := range t.Disjuncts {
			if m, ok := d.(*query.MatchQuery); ok {
				return r.match(m.FieldVal, m.Match, m.Fuzziness, t.BoostVal, false)
			}
		}
	case *query.WildcardQuery:
		return r.prefix(t.FieldVal, t.Wildcard, t.BoostVal)
	case *query.RegexpQuery:
		return nil, badQuery("regular expressions are not supported")
	case *query.NumericRangeQuery:
		if t.FieldVal == fieldYear {
			return yearRange(t)
		}
		return nil, badQuery("ranges are only supported on year (year:>=2015)")
	case *query.DateRangeQuery:
		return nil, badQuery("date ranges are only supported on year (year:>=2015) and as From/To")
	}
	return nil, badQuery("unsupported query")
}

// target is one index field a user field name stands for.
type target struct {
	field string
	lang  string // analyzer language for prefix normalization; "fold" or "" for keywords
}

func targets(userField string) ([]target, error) {
	switch {
	case userField == "":
		var ts []target
		for _, p := range textParts {
			for _, l := range languages {
				ts = append(ts, target{textField(p, l), l})
			}
		}
		// Words also find governorates and tags: "kirkuk", "detention".
		ts = append(ts, target{"governorate" + foldSuffix, "fold"}, target{"tags" + foldSuffix, "fold"})
		return ts, nil
	case slices.Contains(textParts, userField):
		var ts []target
		for _, l := range languages {
			ts = append(ts, target{textField(userField, l), l})
		}
		return ts, nil
	case userField == "tag":
		return []target{{"tags" + foldSuffix, "fold"}}, nil
	case slices.Contains(keywordFields, userField):
		return []target{{userField + foldSuffix, "fold"}}, nil
	case userField == fieldYear:
		return []target{{fieldYear, ""}}, nil
	}
	return nil, badQuery("unknown field %q (fields: title, summary, transcript, %s, year)",
		userField, strings.Join(keywordFields, ", "))
}

func (r *rewriter) match(userField, text string, fuzziness int, boost *query.Boost, phrase bool) (query.Query, error) {
	ts, err := targets(userField)
	if err != nil {
		return nil, err
	}
	if fuzziness != 0 {
		if fuzziness < 0 || fuzziness > 2 {
			return nil, badQuery("fuzziness must be 1 or 2")
		}
		if utf8.RuneCountInString(text) < minFuzzyRunes {
			return nil, badQuery("fuzzy terms need at least %d letters", minFuzzyRunes)
		}
		if r.expansions++; r.expansions > maxExpansions {
			return nil, badQuery("at most %d fuzzy or prefix terms", maxExpansions)
		}
	}
	b, err := boostValue(boost)
	if err != nil {
		return nil, err
	}
	qs := make([]query.Query, 0, len(ts)+1)
	if userField == "" && fuzziness == 0 {
		if e := r.expansion(text, b); e != nil {
			qs = append(qs, e)
		}
	}
	for _, t := range ts {
		var q leafQuery
		switch {
		case t.field == fieldYear:
			q = query.NewTermQuery(text)
		case phrase && t.lang != "fold":
			q = query.NewMatchPhraseQuery(text)
		default:
			// Keywords are one token under the fold analyzer, so a quoted
			// governorate:"Nineveh Plains" is a plain match too.
			mq := query.NewMatchQuery(text)
			mq.SetFuzziness(fuzziness)
			q = mq
		}
		q.SetField(t.field)
		q.SetBoost(b)
		if fuzziness != 0 {
			// Fuzzy terms expand over the whole index's dictionary.
			qs = append(qs, constScore{q, b})
			continue
		}
		qs = append(qs, q)
	}
	return query.NewDisjunctionQuery(qs), nil
}

// leafQuery is what the rewritten leaves have in common. Boosts go on them:
// Bleve's disjunction ignores its own boost.
type leafQuery interface {
	query.FieldableQuery
	SetBoost(float64)
}

func boostValue(boost *query.Boost) (float64, error) {
	if boost == nil {
		return 1, nil
	}
	b := float64(*boost)
	if !(b > 0 && b <= maxBoost) {
		return 0, badQuery("boost must be above 0 and at most %d", maxBoost)
	}
	return b, nil
}

func (r *rewriter) prefix(userField, pattern string, boost *query.Boost) (query.Query, error) {
	body, ok := strings.CutSuffix(pattern, "*")
	if !ok || strings.ContainsAny(body, "*?") || utf8.RuneCountInString(body) < minPrefixRunes {
		return nil, badQuery("%q: only a trailing * after at least %d letters is supported", pattern, minPrefixRunes)
	}
	if r.expansions++; r.expansions > maxExpansions {
		return nil, badQuery("at most %d fuzzy or prefix terms", maxExpansions)
	}
	ts, err := targets(userField)
	if err != nil {
		return nil, err
	}
	b, err := boostValue(boost)
	if err != nil {
		return nil, err
	}
	qs := make([]query.Query, 0, len(ts))
	for _, t := range ts {
		p := body
		if t.lang != "" {
			p = prefixTerm(t.lang, body)
		}
		pq := query.NewPrefixQuery(p)
		pq.SetField(t.field)
		qs = append(qs, constScore{pq, b})
	}
	return query.NewDisjunctionQuery(qs), nil
}

// yearRange turns year:>2015, year:<=2017 … into conditions on the incident
// months, with the overlap semantics of Request.From and To.
func yearRange(t *query.NumericRangeQuery) (query.Query, error) {
	year := func(v *float64, inclusive *bool, step float64) (float64, error) {
		y := *v
		if y != math.Trunc(y) || y < 1000 || y > 9999 {
			return 0, badQuery("year must be a four-digit number")
		}
		if inclusive == nil || !*inclusive {
			y += step
		}
		return y, nil
	}
	var qs []query.Query
	yes := true
	if t.Min != nil {
		y, err := year(t.Min, t.InclusiveMin, 1)
		if err != nil {
			return nil, err
		}
		from := y*100 + 1
		q := query.NewNumericRangeInclusiveQuery(&from, nil, &yes, nil)
		q.SetField(fieldIncidentTo)
		qs = append(qs, q)
	}
	if t.Max != nil {
		y, err := year(t.Max, t.InclusiveMax, -1)
		if err != nil {
			return nil, err
		}
		to := y*100 + 12
		q := query.NewNumericRangeInclusiveQuery(nil, &to, nil, &yes)
		q.SetField(fieldIncidentFrom)
		qs = append(qs, q)
	}
	if len(qs) == 0 {
		return nil, badQuery("empty year range")
	}
	return constScore{query.NewConjunctionQuery(qs), 1}, nil
}
