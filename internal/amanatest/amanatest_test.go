package amanatest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

func TestDemoUsersLogIn(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{})
	ctx := context.Background()
	roles := map[string]int{}
	for id, u := range s.Users {
		roles[u.Role]++
		c := s.Login(id)
		h, err := c.Health(ctx)
		if err != nil || !h.Unsealed {
			t.Fatalf("%s: health %+v %v", id, h, err)
		}
		// The identity file holds the same identity, for the CLI.
		f, err := os.Open(u.IdentityFile)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := envelope.ParseIdentities(f, nil)
		f.Close()
		if err != nil || len(ids) != len(u.Identities) {
			t.Fatalf("%s: identity file: %v", id, err)
		}
	}
	for _, role := range []string{vault.RoleAdmin, vault.RoleResearcher, vault.RoleLawyer, vault.RoleAuditor} {
		if roles[role] == 0 {
			t.Errorf("no %s among the demo users", role)
		}
	}
	// The clock is the server's: a session idle for 16 minutes expired.
	c := s.Login("r.hassan")
	if _, err := c.Search(ctx, client.SearchParams{Query: "x"}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Add(16 * time.Minute)
	if _, err := c.Search(ctx, client.SearchParams{Query: "x"}); !client.IsStatus(err, 401) {
		t.Fatalf("search after 16 idle minutes: %v", err)
	}
	// A code is accepted once only.
	code := s.Code("r.ahmed")
	ids := s.Users["r.ahmed"].Identities
	if _, err := client.New(s.URL).Login(ctx, "r.ahmed", ids, code); err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(s.URL).Login(ctx, "r.ahmed", ids, code); err == nil {
		t.Fatal("a code was accepted twice")
	}
}

func TestNewUsers(t *testing.T) {
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	s := amanatest.NewServer(t, amanatest.Options{
		Users: []*amanatest.User{
			amanatest.NewUser(t, "r.first", vault.RoleResearcher, false),
			amanatest.NewUser(t, "l.admin", vault.RoleAdmin, true),
		},
		Collections: []vault.Collection{{ID: "c1", Members: []string{"r.first"}}},
		Start:       start,
	})
	if !s.Clock.Now().Equal(start) {
		t.Fatalf("clock at %v, want %v", s.Clock.Now(), start)
	}
	for id, u := range s.Users {
		if u.TOTPSecret == "" {
			t.Fatalf("%s has no TOTP secret", id)
		}
	}
	admin := s.Login("l.admin")
	// Step-up codes come from the clock too.
	s.Clock.Add(6 * time.Minute)
	users, err := admin.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Fatalf("%d users", len(users))
	}
	cols, err := s.Login("r.first").Collections(context.Background())
	if err != nil || len(cols) != 1 || cols[0].ID != "c1" {
		t.Fatalf("collections: %+v %v", cols, err)
	}
}

func TestTOTP(t *testing.T) {
	// RFC 6238, appendix B (SHA-1), the last six digits.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {2000000000, "279037"}} {
		if got := amanatest.TOTP(t, secret, time.Unix(c.unix, 0)); got != c.want {
			t.Errorf("at %d: %s, want %s", c.unix, got, c.want)
		}
	}
}
