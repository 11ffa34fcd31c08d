package amanatest

import (
	"net/http"
	"strconv"
	"strings"
)

// AbandonUploads creates n empty uploads of length bytes for user through
// tus, as a browser or another machine that never comes back would leave
// them, and returns their ids.
func (s *Server) AbandonUploads(user string, n int, length int64) []string {
	s.t.Helper()
	c := s.Login(user)
	var ids []string
	for range n {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/uploads", nil)
		if err != nil {
			s.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			s.t.Fatalf("amanatest: creating an upload for %s: %d", user, resp.StatusCode)
		}
		ids = append(ids, strings.TrimPrefix(resp.Header.Get("Location"), "/v1/uploads/"))
	}
	return ids
}
