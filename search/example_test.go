package search_test

import (
	"fmt"
	"log"
	"os"

	"github.com/amana-vault/amana/search"
)

func Example() {
	dir, err := os.MkdirTemp("", "amana-search-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ix, err := search.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer ix.Close()

	err = ix.Put(
		search.Doc{ID: "d1", Collection: "yazda", Kind: "testimony", Language: "ar",
			Title: "شهادة عن الاحتجاز في نقطة التفتيش", Governorate: "Nineveh", IncidentDate: "2014-08"},
		search.Doc{ID: "d2", Collection: "yazda", Kind: "interview", Language: "en",
			Title: "Interview on displacement in Sinjar district", Governorate: "Nineveh", IncidentDate: "2015"},
		search.Doc{ID: "d3", Collection: "other", Kind: "testimony", Language: "en",
			Title: "Detention at a checkpoint", Governorate: "Kirkuk", IncidentDate: "2016"},
	)
	if err != nil {
		log.Fatal(err)
	}

	res, err := ix.Search(search.Request{
		Query:       "شهاده detentions", // ه for ة; either word
		Collections: []string{"yazda"},  // the caller's collections: d3 is not
		Facets:      []string{"kind"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Total, res.Hits[0].ID, res.Hits[0].Title, res.Facets["kind"])
	// Output: 1 d1 شهادة عن الاحتجاز في نقطة التفتيش [{testimony Testimony 1}]
}
