//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"github.com/amana-vault/amana/cmd/amana-wasm/inbrowser"
)

// addExport adds exportBundle to the module's API: the court bundle of
// 'amana export', made in the browser (inbrowser.ExportBundle).
func addExport(api map[string]any) {
	api["exportBundle"] = fn(func(a []js.Value) any {
		// The key slot, the sealed private metadata and the content, as
		// bytes; then an object of texts: record (the document record as
		// sent), signing_key (the depositor's), custody (GET …/custody as
		// sent), verifier (the pinned key) and user (who exports).
		if c := a[2]; c.Type() == js.TypeObject && c.Get("length").Int() > inbrowser.MaxExport {
			return fail(inbrowser.ErrTooLarge)
		}
		o := a[3]
		content := bytesOf(a[2])
		x, err := keys.ExportBundle(inbrowser.Export{
			Slot: bytesOf(a[0]), Private: bytesOf(a[1]), Content: content,
			Record: []byte(o.Get("record").String()), SigningKey: o.Get("signing_key").String(),
			Custody: []byte(o.Get("custody").String()), Verifier: o.Get("verifier").String(),
			ExportedBy: o.Get("user").String(), ExportedAt: time.Now(),
		})
		if err != nil {
			return fail(err)
		}
		// The parts of the zip, for a Blob: the ciphertext is the page's
		// own array, passed back rather than copied.
		parts := make([]any, len(x.Parts))
		for i, p := range x.Parts {
			if len(p) > 0 && len(p) == len(content) && &p[0] == &content[0] {
				parts[i] = a[2]
			} else {
				parts[i] = toJS(p)
			}
		}
		x.Clear()
		return map[string]any{"parts": parts}
	})
}
