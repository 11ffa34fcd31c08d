package search

import (
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/unicodenorm"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	// The language analyzers register themselves with Bleve's registry on
	// import; without these imports the mapping below fails to validate.
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/ckb"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
)

// mappingVersion is stored inside the index. Open refuses an index built with
// another version: changing a field or analyzer below requires a Rebuild.
const mappingVersion = "amana-search-2"

// internalVersionKey is the Bleve internal key holding mappingVersion.
var internalVersionKey = []byte("amana.mapping_version")

// Languages accepted in Doc.Language, in a fixed order.
var languages = []string{"en", "ar", "ckb", "kmr"}

// kmrAnalyzer is the custom Kurmanji (Latin script) analyzer; keywordFold the
// case- and diacritic-insensitive analyzer behind query-string field terms
// such as governorate:kirkuk.
const (
	kmrAnalyzer     = "amana_kmr"
	nfkcFilterName  = "amana_nfkc"
	keywordFoldName = "amana_keyword_fold"
)

// analyzerFor maps a language to the analyzer of its text fields. Bleve picks
// a per-type analyzer at random at query time, so every language has its own
// fields (title_ar, summary_ar, …) with a single analyzer each.
var analyzerFor = map[string]string{
	"en":  en.AnalyzerName,
	"ar":  arAnalyzer,
	"ckb": ckb.AnalyzerName,
	"kmr": kmrAnalyzer,
}

// Text parts of a document; each exists once per language (title_en, …).
var textParts = []string{"title", "summary", "transcript"}

// Keyword fields: exact values, used for facets, filters and Hit fields.
// Each also has a folded twin (governorate_fold) for query-string terms.
var keywordFields = []string{"collection", "kind", "language", "governorate", "tags"}

// Facets that Request.Facets and Request.Filters may name.
var facetFields = []string{"collection", "kind", "language", "governorate", "tags", "year"}

const (
	fieldYear         = "year"          // keyword, "2017", derived from the incident date
	fieldIncidentDate = "incident_date" // stored only, "2017" or "2017-06", returned in hits
	fieldIncidentFrom = "incident_from" // number yyyymm, first month the incident date covers
	fieldIncidentTo   = "incident_to"   // number yyyymm, last month the incident date covers
	fieldDeposited    = "deposited_at"  // datetime, for sorting
	foldSuffix        = "_fold"
)

func textField(part, lang string) string { return part + "_" + lang }

// allTextFields lists title_en … transcript_kmr.
func allTextFields() []string {
	var fs []string
	for _, p := range textParts {
		for _, l := range languages {
			fs = append(fs, textField(p, l))
		}
	}
	return fs
}

// newMapping builds the index mapping. Nothing is dynamic: a field that is
// not listed here is neither indexed nor stored, and there is no _all field.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	if err := im.AddCustomAnalyzer(kmrAnalyzer, map[string]any{
		"type":      custom.Name,
		"tokenizer": unicode.Name,
		// Fold before lowercasing: folding maps İ to I, which keeps the
		// lowercase filter away from the rune it corrupts.
		"token_filters": []any{foldFilterName, lowercase.Name},
	}); err != nil {
		return nil, err
	}
	// Bleve's ar analyzer, then the sense of شهادة (see arSenseFilter).
	if err := im.AddCustomTokenFilter(nfkcFilterName, map[string]any{
		"type": unicodenorm.Name,
		"form": unicodenorm.NFKC,
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(arAnalyzer, map[string]any{
		"type":      custom.Name,
		"tokenizer": unicode.Name,
		"token_filters": []any{lowercase.Name, nfkcFilterName, ar.StopName, ar.NormalizeName,
			ar.StemmerName, arSenseFilterName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(keywordFoldName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []any{foldFilterName, lowercase.Name},
	}); err != nil {
		return nil, err
	}
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.DefaultAnalyzer = keyword.Name

	dm := mapping.NewDocumentStaticMapping()
	dm.Dynamic = false

	// Text: stored (titles are returned, all three are highlighted) with term
	// vectors (phrase queries and highlighting need positions and offsets).
	for _, p := range textParts {
		for _, l := range languages {
			fm := mapping.NewTextFieldMapping()
			fm.Analyzer = analyzerFor[l]
			fm.Store = true
			fm.Index = true
			fm.IncludeTermVectors = true
			fm.IncludeInAll = false
			fm.DocValues = false
			dm.AddFieldMappingsAt(textField(p, l), fm)
		}
	}

	for _, f := range keywordFields {
		fm := mapping.NewKeywordFieldMapping()
		fm.Store = true // returned in hits
		fm.IncludeTermVectors = false
		fm.IncludeInAll = false
		fm.DocValues = true // facets
		dm.AddFieldMappingsAt(f, fm)

		ff := mapping.NewTextFieldMapping()
		ff.Analyzer = keywordFoldName
		ff.Store = false
		ff.IncludeTermVectors = false
		ff.IncludeInAll = false
		ff.DocValues = false
		dm.AddFieldMappingsAt(f+foldSuffix, ff)
	}

	year := mapping.NewKeywordFieldMapping()
	year.Store = false
	year.IncludeTermVectors = false
	year.IncludeInAll = false
	year.DocValues = true
	dm.AddFieldMappingsAt(fieldYear, year)

	date := mapping.NewKeywordFieldMapping()
	date.Index = false
	date.Store = true
	date.IncludeTermVectors = false
	date.IncludeInAll = false
	date.DocValues = false
	dm.AddFieldMappingsAt(fieldIncidentDate, date)

	for _, f := range []string{fieldIncidentFrom, fieldIncidentTo} {
		n := mapping.NewNumericFieldMapping()
		n.Store = false
		n.IncludeInAll = false
		n.DocValues = true // sorting
		dm.AddFieldMappingsAt(f, n)
	}

	dep := mapping.NewDateTimeFieldMapping()
	dep.Store = false
	dep.IncludeInAll = false
	dep.DocValues = true // sorting
	dm.AddFieldMappingsAt(fieldDeposited, dep)

	// No _all field: every query names its fields, and computing the
	// composite field costs indexing time even with every field excluded.
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())

	im.DefaultMapping = dm
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}
