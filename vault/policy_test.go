package vault

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// wantRelations are the columns of wantPolicy.
var wantRelations = []Relation{RelNone, RelMember, RelSelf, RelFormer, RelHolder, RelUncovered, RelDepositor, RelCustodian, RelShredded}

// wantPolicy is the policy as each role lives it, written apart from the
// table in policy.go and laid out the other way round (a role's actions in
// rows, relations in columns), so that a change to one that is not made to
// the other fails TestPolicy. "ok" is allowed, "403" ErrForbidden, "404"
// ErrNotFound, and "-" a relation the action does not know (denied).
var wantPolicy = map[string]map[string]string{
	//                          none member self former holder uncovered depositor custodian shredded
	RoleAdmin: {
		"user.create":           "ok   -     -    -     -      -        -        -        -",
		"user.list":             "ok   -     -    -     -      -        -        -        -",
		"user.update":           "ok   -     -    -     -      -        -        -        -",
		"user.read":             "ok   -     ok   -     -      -        -        -        -",
		"user.recipient":        "ok   ok    -    -     -      -        -        -        -",
		"user.keys":             "ok   -     -    -     -      -        -        -        -",
		"collection.create":     "ok   -     -    -     -      -        -        -        -",
		"collection.update":     "ok   -     -    -     -      -        -        -        -",
		"collection.list":       "ok   ok    -    -     -      -        -        -        -",
		"collection.recipients": "ok   ok    -    -     -      -        -        -        -",
		"search":                "ok   ok    -    -     -      -        -        -        -",
		"stats":                 "ok   ok    -    -     -      -        -        -        -",
		"document.deposit":      "403  403   -    -     -      -        -        -        -",
		"upload.create":         "ok   -     -    -     -      -        -        -        -",
		"document.read":         "ok   ok    -    ok    ok     ok       ok       ok       404",
		"document.manifest":     "ok   ok    -    ok    ok     ok       ok       ok       404",
		"document.keyslot":      "403  403   -    ok    ok     403      ok       ok       404",
		"document.download":     "403  403   -    ok    ok     403      ok       ok       404",
		"document.private":      "403  403   -    ok    ok     403      ok       ok       404",
		"document.custody":      "ok   ok    -    ok    ok     ok       ok       ok       ok",
		"document.grant":        "403  403   -    ok    ok     403      ok       ok       404",
		"document.revoke":       "ok   ok    ok   ok    ok     ok       ok       ok       404",
		"document.shred":        "ok   ok    -    ok    ok     ok       ok       ok       404",
		"document.rekey":        "403  403   -    ok    ok     403      ok       ok       404",
		"document.request":      "403  ok    -    403   403    403      403      403      404",
		"document.requests":     "404  404   -    ok    ok     404      ok       ok       404",
		"audit.read":            "ok   -     -    -     -      -        -        -        -",
		"audit.checkpoint":      "ok   -     -    -     -      -        -        -        -",
		"audit.proof":           "ok   -     -    -     -      -        -        -        -",
		"audit.hmac":            "ok   -     -    -     -      -        -        -        -",
		"vault.backup":          "ok   -     -    -     -      -        -        -        -",
		"vault.check":           "ok   -     -    -     -      -        -        -        -",
	},
	RoleResearcher: {
		"user.create":           "403  -     -    -     -      -        -        -        -",
		"user.list":             "403  -     -    -     -      -        -        -        -",
		"user.update":           "403  -     -    -     -      -        -        -        -",
		"user.read":             "403  -     ok   -     -      -        -        -        -",
		"user.recipient":        "404  ok    -    -     -      -        -        -        -",
		"user.keys":             "ok   -     -    -     -      -        -        -        -",
		"collection.create":     "403  -     -    -     -      -        -        -        -",
		"collection.update":     "403  -     -    -     -      -        -        -        -",
		"collection.list":       "404  ok    -    -     -      -        -        -        -",
		"collection.recipients": "404  ok    -    -     -      -        -        -        -",
		"search":                "404  ok    -    -     -      -        -        -        -",
		"stats":                 "404  ok    -    -     -      -        -        -        -",
		"document.deposit":      "404  ok    -    -     -      -        -        -        -",
		"upload.create":         "ok   -     -    -     -      -        -        -        -",
		"document.read":         "404  ok    -    404   ok     ok       ok       ok       404",
		"document.manifest":     "404  ok    -    404   ok     ok       ok       ok       404",
		"document.keyslot":      "404  403   -    404   ok     403      ok       ok       404",
		"document.download":     "404  403   -    404   ok     403      ok       ok       404",
		"document.private":      "404  403   -    404   ok     403      ok       ok       404",
		"document.custody":      "404  403   -    404   ok     403      ok       ok       404",
		"document.grant":        "404  403   -    404   ok     403      ok       ok       404",
		"document.revoke":       "404  403   ok   404   403    403      ok       ok       404",
		"document.shred":        "404  403   -    404   403    403      403      403      404",
		"document.rekey":        "404  403   -    404   403    403      ok       ok       404",
		"document.request":      "404  ok    -    404   403    403      403      403      404",
		"document.requests":     "404  404   -    404   404    404      ok       ok       404",
		"audit.read":            "403  -     -    -     -      -        -        -        -",
		"audit.checkpoint":      "403  -     -    -     -      -        -        -        -",
		"audit.proof":           "403  -     -    -     -      -        -        -        -",
		"audit.hmac":            "403  -     -    -     -      -        -        -        -",
		"vault.backup":          "403  -     -    -     -      -        -        -        -",
		"vault.check":           "403  -     -    -     -      -        -        -        -",
	},
	RoleLawyer: {
		"user.create":           "403  -     -    -     -      -        -        -        -",
		"user.list":             "403  -     -    -     -      -        -        -        -",
		"user.update":           "403  -     -    -     -      -        -        -        -",
		"user.read":             "403  -     ok   -     -      -        -        -        -",
		"user.recipient":        "404  ok    -    -     -      -        -        -        -",
		"user.keys":             "ok   -     -    -     -      -        -        -        -",
		"collection.create":     "403  -     -    -     -      -        -        -        -",
		"collection.update":     "403  -     -    -     -      -        -        -        -",
		"collection.list":       "404  ok    -    -     -      -        -        -        -",
		"collection.recipients": "404  ok    -    -     -      -        -        -        -",
		"search":                "404  ok    -    -     -      -        -        -        -",
		"stats":                 "404  ok    -    -     -      -        -        -        -",
		"document.deposit":      "403  403   -    -     -      -        -        -        -",
		"upload.create":         "ok   -     -    -     -      -        -        -        -",
		"document.read":         "404  ok    -    404   ok     ok       ok       ok       404",
		"document.manifest":     "404  ok    -    404   ok     ok       ok       ok       404",
		"document.keyslot":      "404  403   -    404   ok     403      ok       ok       404",
		"document.download":     "404  403   -    404   ok     403      ok       ok       404",
		"document.private":      "404  403   -    404   ok     403      ok       ok       404",
		"document.custody":      "404  403   -    404   ok     403      ok       ok       404",
		"document.grant":        "404  403   -    404   ok     403      ok       ok       404",
		"document.revoke":       "404  403   ok   404   403    403      ok       ok       404",
		"document.shred":        "404  403   -    404   403    403      403      403      404",
		"document.rekey":        "404  403   -    404   403    403      ok       ok       404",
		"document.request":      "404  ok    -    404   403    403      403      403      404",
		"document.requests":     "404  404   -    404   404    404      ok       ok       404",
		"audit.read":            "403  -     -    -     -      -        -        -        -",
		"audit.checkpoint":      "403  -     -    -     -      -        -        -        -",
		"audit.proof":           "403  -     -    -     -      -        -        -        -",
		"audit.hmac":            "403  -     -    -     -      -        -        -        -",
		"vault.backup":          "403  -     -    -     -      -        -        -        -",
		"vault.check":           "403  -     -    -     -      -        -        -        -",
	},
	RoleAuditor: {
		"user.create":           "403  -     -    -     -      -        -        -        -",
		"user.list":             "403  -     -    -     -      -        -        -        -",
		"user.update":           "403  -     -    -     -      -        -        -        -",
		"user.read":             "403  -     ok   -     -      -        -        -        -",
		"user.recipient":        "404  ok    -    -     -      -        -        -        -",
		"user.keys":             "ok   -     -    -     -      -        -        -        -",
		"collection.create":     "403  -     -    -     -      -        -        -        -",
		"collection.update":     "403  -     -    -     -      -        -        -        -",
		"collection.list":       "404  ok    -    -     -      -        -        -        -",
		"collection.recipients": "404  ok    -    -     -      -        -        -        -",
		"search":                "403  403   -    -     -      -        -        -        -",
		"stats":                 "403  403   -    -     -      -        -        -        -",
		"document.deposit":      "403  403   -    -     -      -        -        -        -",
		"upload.create":         "403  -     -    -     -      -        -        -        -",
		"document.read":         "404  404   -    404   404    404      404      404      404",
		"document.manifest":     "404  404   -    404   404    404      404      404      404",
		"document.keyslot":      "404  404   -    404   404    404      404      404      404",
		"document.download":     "404  404   -    404   404    404      404      404      404",
		"document.private":      "404  404   -    404   404    404      404      404      404",
		"document.custody":      "ok   ok    -    ok    ok     ok       ok       ok       ok",
		"document.grant":        "404  404   -    404   404    404      404      404      404",
		"document.revoke":       "404  404   404  404   404    404      404      404      404",
		"document.shred":        "404  404   -    404   404    404      404      404      404",
		"document.rekey":        "404  404   -    404   404    404      404      404      404",
		"document.request":      "404  404   -    404   404    404      404      404      404",
		"document.requests":     "404  404   -    404   404    404      404      404      404",
		"audit.read":            "ok   -     -    -     -      -        -        -        -",
		"audit.checkpoint":      "ok   -     -    -     -      -        -        -        -",
		"audit.proof":           "ok   -     -    -     -      -        -        -        -",
		"audit.hmac":            "403  -     -    -     -      -        -        -        -",
		"vault.backup":          "403  -     -    -     -      -        -        -        -",
		"vault.check":           "403  -     -    -     -      -        -        -        -",
	},
}

func wantErr(t *testing.T, cell string) error {
	t.Helper()
	switch cell {
	case "ok":
		return nil
	case "403", "-":
		return ErrForbidden
	case "404":
		return ErrNotFound
	}
	t.Fatalf("unknown expectation %q", cell)
	return nil
}

// TestPolicy walks every role × action × relation of the table against
// wantPolicy, and what the role alone decides against the same.
func TestPolicy(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(wantPolicy)), slices.Sorted(slices.Values(roles)); !slices.Equal(got, want) {
		t.Fatalf("expectation for roles %v, the vault has %v", got, want)
	}
	if !slices.Equal(slices.Sorted(slices.Values(wantRelations)), slices.Sorted(slices.Values(relations))) {
		t.Fatalf("expectation for relations %v, the vault has %v", wantRelations, relations)
	}
	actions := slices.Sorted(maps.Keys(policyRelations))
	for _, role := range roles {
		if got := slices.Sorted(maps.Keys(wantPolicy[role])); !slices.Equal(got, actions) {
			t.Fatalf("%s: expectation for actions %v, the table has %v", role, got, actions)
		}
	}
	for _, role := range roles {
		for _, action := range actions {
			cells := strings.Fields(wantPolicy[role][action])
			if len(cells) != len(wantRelations) {
				t.Fatalf("%s %s: %d cells", role, action, len(cells))
			}
			var listed []error
			for i, rel := range wantRelations {
				want := wantErr(t, cells[i])
				if got := Authorize(role, action, rel); got != want {
					t.Errorf("Authorize(%s, %s, %s) = %v, want %v", role, action, rel, got, want)
				}
				if known := slices.Contains(policyRelations[action], rel); known != (cells[i] != "-") {
					t.Errorf("%s: the table lists relation %s: %v, expected %v", action, rel, known, !known)
				}
				if cells[i] != "-" {
					listed = append(listed, want)
				}
			}
			// The role alone decides when it has one decision for every
			// relation the action knows.
			wantDecided := len(slices.Compact(slices.Clone(listed))) == 1
			decided, err := AuthorizeRole(role, action)
			if decided != wantDecided || (decided && err != listed[0]) {
				t.Errorf("AuthorizeRole(%s, %s) = %v, %v; want decided %v", role, action, decided, err, wantDecided)
			}
		}
	}
}

// TestPolicyFailsClosed: what the table does not name is refused.
func TestPolicyFailsClosed(t *testing.T) {
	for _, c := range []struct {
		role, action string
		rel          Relation
	}{
		{"", "document.read", RelHolder},
		{"superuser", "user.create", RelNone},
		{RoleAdmin, "", RelNone},
		{RoleAdmin, "document.delete", RelNone},
		{RoleAdmin, "document.read", ""},
		{RoleAdmin, "document.read", "owner"},
		{RoleAdmin, "user.create", RelMember},
	} {
		if err := Authorize(c.role, c.action, c.rel); err != ErrForbidden {
			t.Errorf("Authorize(%q, %q, %q) = %v, want ErrForbidden", c.role, c.action, c.rel, err)
		}
	}
	if decided, err := AuthorizeRole(RoleAdmin, "document.delete"); !decided || err != ErrForbidden {
		t.Errorf("AuthorizeRole of an unknown action = %v, %v", decided, err)
	}
	if decided, err := AuthorizeRole("superuser", "document.read"); !decided || err != ErrForbidden {
		t.Errorf("AuthorizeRole of an unknown role = %v, %v", decided, err)
	}
}

// TestPolicyMalformed: a table that does not parse stops the program
// rather than deciding anything.
func TestPolicyMalformed(t *testing.T) {
	header := "action relation admin researcher lawyer auditor\n"
	for name, text := range map[string]string{
		"no role column":    "action relation admin researcher lawyer\nuser.list none allow deny deny\n",
		"unknown role":      "action relation admin researcher lawyer superuser\n",
		"short row":         header + "user.list none allow deny deny\n",
		"unknown decision":  header + "user.list none allow deny deny maybe\n",
		"unknown relation":  header + "user.list owner allow deny deny deny\n",
		"repeated relation": header + "user.list none allow deny deny deny\nuser.list none allow deny deny deny\n",
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("parsed")
				}
			}()
			parsePolicy(text)
		})
	}
}

// TestSlotConsent: who may hold a key slot granted to it, by the consent
// of the document.
func TestSlotConsent(t *testing.T) {
	want := map[string][]string{ // role: the scopes that let it hold a granted slot
		RoleAdmin:      {ScopeResearch, ScopeAdvocacy, ScopeLegalProceedings, ScopePublicAnonymised},
		RoleResearcher: {ScopeResearch},
		RoleLawyer:     {ScopeLegalProceedings},
		RoleAuditor:    {},
	}
	for _, role := range roles {
		if got := mayHoldSlots(role); got != (role != RoleAuditor) {
			t.Errorf("mayHoldSlots(%s) = %v", role, got)
		}
		for _, scope := range scopes {
			if got := mayHold(role, Consent{Scopes: []string{scope}}); got != slices.Contains(want[role], scope) {
				t.Errorf("mayHold(%s, [%s]) = %v", role, scope, got)
			}
		}
		if got := mayHold(role, Consent{Scopes: slices.Clone(scopes)}); got != (role != RoleAuditor) {
			t.Errorf("mayHold(%s, every scope) = %v", role, got)
		}
	}
}

// TestDocRelation: the caller's relation to a document, from the facts the
// vault stores.
func TestDocRelation(t *testing.T) {
	col := &Collection{ID: "kirkuk-2018", Members: []string{"r.hassan", "r.ahmed", "a.karim"}, Custodians: []string{"l.custodian", "r.lead"}}
	research := Consent{Scopes: []string{ScopeResearch}}
	legal := Consent{Scopes: []string{ScopeLegalProceedings}}
	doc := func(consent Consent, holders ...string) *docRecord {
		return &docRecord{Document: Document{ID: "doc", Collection: col.ID, Depositor: "r.hassan", Consent: consent, SlotHolders: holders, State: DocActive}}
	}
	admin := &User{ID: "l.admin2", Role: RoleAdmin}
	custodian := &User{ID: "l.custodian", Role: RoleAdmin}
	depositor := &User{ID: "r.hassan", Role: RoleResearcher}
	comember := &User{ID: "r.ahmed", Role: RoleResearcher}
	lawyer := &User{ID: "a.karim", Role: RoleLawyer}
	lead := &User{ID: "r.lead", Role: RoleResearcher}
	outsider := &User{ID: "r.outsider", Role: RoleResearcher}
	shredded := doc(research)
	shredded.State = DocShredded
	for _, c := range []struct {
		name   string
		user   *User
		doc    *docRecord
		target string
		want   Relation
	}{
		{"outsider", outsider, doc(research, "r.hassan", "l.custodian"), "", RelNone},
		{"outsider holding a slot", outsider, doc(research, "r.hassan", "r.outsider"), "", RelFormer},
		{"admin outside the collection", admin, doc(research, "r.hassan"), "", RelNone},
		{"admin outside the collection with a slot", admin, doc(research, "r.hassan", "l.admin2"), "", RelFormer},
		{"member without a slot", comember, doc(research, "r.hassan"), "", RelMember},
		{"custodian without a slot", lead, doc(research, "r.hassan"), "", RelMember},
		{"depositor", depositor, doc(research, "r.hassan"), "", RelDepositor},
		{"depositor whose role the consent does not cover", depositor, doc(legal, "r.hassan"), "", RelUncovered},
		{"depositor revoking its own slot", depositor, doc(research, "r.hassan", "r.ahmed"), "r.hassan", RelDepositor},
		{"custodian", custodian, doc(research, "r.hassan", "l.custodian"), "", RelCustodian},
		{"custodian whose role the consent does not cover", lead, doc(legal, "r.hassan", "r.lead"), "", RelUncovered},
		{"uncovered custodian, revoking its own slot", lead, doc(legal, "r.hassan", "r.lead"), "r.lead", RelSelf},
		{"uncovered custodian, revoking another's slot", lead, doc(legal, "r.hassan", "r.lead"), "r.hassan", RelUncovered},
		{"granted", comember, doc(research, "r.hassan", "r.ahmed"), "", RelHolder},
		{"granted, revoking another's slot", comember, doc(research, "r.hassan", "r.ahmed"), "r.hassan", RelHolder},
		{"granted, revoking its own slot", comember, doc(research, "r.hassan", "r.ahmed"), "r.ahmed", RelSelf},
		{"lawyer, consent covers legal proceedings", lawyer, doc(legal, "r.hassan", "a.karim"), "", RelHolder},
		{"lawyer, consent does not cover legal proceedings", lawyer, doc(research, "r.hassan", "a.karim"), "", RelUncovered},
		{"uncovered, revoking its own slot", lawyer, doc(research, "r.hassan", "a.karim"), "a.karim", RelSelf},
		{"shredded, for its depositor", depositor, shredded, "", RelShredded},
		{"shredded, for an admin", custodian, shredded, "", RelShredded},
	} {
		a := &docAccess{user: c.user, col: col, doc: c.doc}
		if got := a.relation(c.target); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestPolicyLeavers: what a key slot opens once its holder has left the
// collection, or holds it only as a custodian whose role the consent does
// not cover (a slot a vault written before the consent rule holds).
func TestPolicyLeavers(t *testing.T) {
	f := newFixture(t)
	admin := f.admin.caller()
	if _, err := f.v.UpdateCollection(admin, "kirkuk-2018", CollectionUpdate{AddCustodians: []string{f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	req := sampleMeta()
	req.Consent.Scopes = []string{ScopeResearch} // not legal proceedings
	doc, key := f.deposit(t, f.r1, req, []byte("statement"), nil)
	if doc.HoldsSlot(f.lawyer.id) || !doc.HoldsSlot(f.admin.id) {
		t.Fatalf("slot holders %v: the lawyer custodian must hold none, the admin custodian one", doc.SlotHolders)
	}
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); err != ErrForbidden {
		t.Errorf("custodian lawyer without a slot: %v", err)
	}

	// A vault written before the rule gave the custodian a slot: it opens
	// nothing, and its holder may give it up.
	f.plantSlot(t, doc.ID, f.lawyer, key)
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); err != ErrForbidden {
		t.Errorf("uncovered custodian reads the key slot: %v", err)
	}
	if _, err := f.v.GetDocument(f.lawyer.caller(), doc.ID); err != nil {
		t.Errorf("uncovered custodian: %v", err)
	}
	if err := f.v.Revoke(f.lawyer.caller(), doc.ID, f.r1.id); err != ErrForbidden {
		t.Errorf("uncovered custodian revokes another's slot: %v", err)
	}
	if err := f.v.Revoke(f.lawyer.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Errorf("uncovered custodian gives up its slot: %v", err)
	}
	// No longer a custodian, still a member: the same.
	f.plantSlot(t, doc.ID, f.lawyer, key)
	if _, err := f.v.UpdateCollection(admin, "kirkuk-2018", CollectionUpdate{RemoveCustodians: []string{f.lawyer.id}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.KeySlot(f.lawyer.caller(), doc.ID); err != ErrForbidden {
		t.Errorf("uncovered lawyer reads the key slot: %v", err)
	}
	if err := f.v.Revoke(f.lawyer.caller(), doc.ID, f.lawyer.id); err != nil {
		t.Errorf("uncovered lawyer gives up its slot: %v", err)
	}

	// A researcher who leaves the collection keeps its slot and loses
	// sight of the document; an admin who leaves it keeps what its slot
	// opens.
	if _, err := f.v.UpdateCollection(admin, "kirkuk-2018", CollectionUpdate{
		RemoveMembers: []string{f.r1.id}, AddCustodians: []string{f.r2.id}, RemoveCustodians: []string{f.admin.id},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.KeySlot(f.r1.caller(), doc.ID); err != ErrNotFound {
		t.Errorf("depositor who left reads the key slot: %v", err)
	}
	if _, err := f.v.GetDocument(f.r1.caller(), doc.ID); err != ErrNotFound {
		t.Errorf("depositor who left sees the document: %v", err)
	}
	if _, err := f.readAs(f.admin, doc.ID); err != nil {
		t.Errorf("admin who left: %v", err)
	}
}
