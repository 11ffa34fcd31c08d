package amanatest

import (
	"net/http"
	"strconv"

	"github.com/amana-vault/amana/client"
)

// CreateUpload creates an empty upload of length bytes as c, with tus
// Upload-Metadata metadata (none if empty), and returns its location.
func (s *Server) CreateUpload(c *client.Client, length int64, metadata string) string {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/uploads", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	if metadata != "" {
		req.Header.Set("Upload-Metadata", metadata)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("amanatest: creating an upload: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// AbandonUploads creates n empty uploads of length bytes for user through
// tus, as a browser or another machine that never comes back would leave
// them, and returns their ids.
func (s *Server) AbandonUploads(user string, n int, length int64) []string {
	s.t.Helper()
	c := s.Login(user)
	var ids []string
	for range n {
		loc := s.CreateUpload(c, length, "")
		ids = append(ids, loc[len("/v1/uploads/"):])
	}
	return ids
}
