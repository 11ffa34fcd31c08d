package httpapi_test

import (
	"io"
	"net/http"
	"strings"

	"filippo.io/age/armor"

	"github.com/amana-vault/amana/client"
)

func ageArmor(r io.Reader) io.Reader { return armor.NewReader(r) }

// raw sends a request as c (nil: anonymous) and returns the response.
// Extra header pairs follow contentType.
func (e *env) raw(c *client.Client, method, path string, body io.Reader, contentType string, header ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c != nil && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// missingDocument is what c is answered for a document that does not
// exist: the answer that tells nobody whether one does.
func (e *env) missingDocument(c *client.Client) []byte {
	e.t.Helper()
	return e.body(e.raw(c, "GET", "/v1/documents/"+strings.Repeat("a", 26), nil, ""))
}

func (e *env) body(resp *http.Response) []byte {
	e.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}
