package indexer_test

import (
	"slices"
	"testing"

	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
)

// The search filters refuse governorates the vault does not know: both
// lists must be the same.
func TestGovernoratesMatchVault(t *testing.T) {
	if !slices.Equal(search.Governorates, vault.Governorates) {
		t.Errorf("search.Governorates %v\nvault.Governorates %v", search.Governorates, vault.Governorates)
	}
	for _, g := range vault.Governorates {
		if search.Label("governorate", g, "ar") == g || search.Label("governorate", g, "ckb") == g {
			t.Errorf("governorate %s has no Arabic or Sorani label", g)
		}
	}
}
