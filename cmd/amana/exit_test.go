package main

import "testing"

// Usage errors exit 2, other failures 1 (the flag package's convention), in
// every command; --server is accepted before or after the subcommand.
func TestExitCodes(t *testing.T) {
	t.Setenv("AMANA_CONFIG_DIR", t.TempDir()) // not logged in
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, 0},
		{[]string{"user"}, 0},
		{[]string{"nosuch"}, 2},
		{[]string{"user", "nosuch"}, 2},
		{[]string{"audit", "nosuch"}, 2},
		{[]string{"get"}, 2},
		{[]string{"get", "a", "b"}, 2},
		{[]string{"search", "--nosuchflag", "x"}, 2},
		{[]string{"login", "--user", "r.hassan"}, 2},
		{[]string{"collection", "list", "extra"}, 2},
		{[]string{"stats", "--json=maybe"}, 2},
		{[]string{"search", "x"}, 1},                                   // not logged in
		{[]string{"--server", "http://127.0.0.1:1", "search", "x"}, 1}, // persistent flag before the command
		{[]string{"search", "--server", "http://127.0.0.1:1", "x"}, 1}, // and after it
		{[]string{"verify-bundle", "/nonexistent/bundle.zip"}, 1},
	} {
		if got := execute(newRootCmd(), c.args); got != c.want {
			t.Errorf("amana %q exited %d, want %d", c.args, got, c.want)
		}
	}
}
