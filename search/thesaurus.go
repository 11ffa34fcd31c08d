package search

// thesaurus placeholder
type concept struct {
	id    string
	terms map[string][]string
}

type thesaurus struct{ byID map[string]*concept }

var defaultThesaurus = &thesaurus{}

func (t *thesaurus) concept(id string) *concept { return t.byID[id] }
