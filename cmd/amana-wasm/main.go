//go:build js && wasm

// Command wasm is the web interface's WebAssembly module: it exposes
// package inbrowser to the page as globalThis.amanaWasm. Identities and the
// signing key loaded here stay in WebAssembly memory until forget() or the
// page is closed.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"syscall/js"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/cmd/amana-wasm/inbrowser"
	"github.com/amana-vault/amana/manifest"
)

var (
	keys    *inbrowser.Keyring
	signer  *inbrowser.SigningKey
	stream  *inbrowser.StreamDeposit // the deposit being sealed slice by slice
	scratch []byte                   // its last slice of plaintext, cleared
)

// fail reports an error to the page, with the document protocol's code
// ("wrong_identity", "malformed", "integrity" or "error") or the page's
// own (inbrowser.ErrorCode).
func fail(err error) any {
	return map[string]any{"error": err.Error(), "code": inbrowser.ErrorCode(err)}
}

// optString is a string argument, "" when absent.
func optString(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

func bytesOf(v js.Value) []byte {
	if v.IsNull() || v.IsUndefined() {
		return nil
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func toJS(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

var errNoStream = errors.New("no deposit is being sealed: call sealStart first")

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// fn is not inlined: the closures of each inlined copy would cost
// WebAssembly code for every function of the API.
//
//go:noinline
func fn(f func(args []js.Value) any) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (out any) {
		defer func() {
			if p := recover(); p != nil {
				out = map[string]any{"error": "internal error in the WebAssembly module"}
			}
		}()
		for len(args) < 6 {
			args = append(args, js.Undefined())
		}
		return f(args)
	})
}

func main() {
	api := map[string]any{
		"loadIdentity": fn(func(a []js.Value) any {
			b := bytesOf(a[0])
			k, err := inbrowser.ParseKeyring(b)
			clear(b)
			if err != nil {
				return fail(err)
			}
			keys.Forget()
			keys = k
			return map[string]any{"ok": true}
		}),
		"loadSigningKey": fn(func(a []js.Value) any {
			b := bytesOf(a[0])
			k, err := inbrowser.ParseSigningKey(b)
			clear(b)
			if err != nil {
				return fail(err)
			}
			signer.Forget()
			signer = k
			return map[string]any{"public_key": k.PublicKey(), "fingerprint": k.Fingerprint()}
		}),
		"forget": fn(func(a []js.Value) any {
			keys.Forget()
			keys = nil
			signer.Forget()
			signer = nil
			return map[string]any{"ok": true}
		}),
		"answerChallenge": fn(func(a []js.Value) any {
			r, err := keys.AnswerChallenge(a[0].String())
			if err != nil {
				return fail(err)
			}
			return map[string]any{"response": r}
		}),
		"open": fn(func(a []js.Value) any {
			// a[4], if a string, is a deposit manifest already verified by
			// the caller (the protocol's vectors); the page uses openDocument.
			var m *manifest.Manifest
			if a[4].Type() == js.TypeString {
				var err error
				if m, err = manifest.Parse([]byte(a[4].String())); err != nil {
					return fail(err)
				}
			}
			o, err := keys.Open(bytesOf(a[0]), bytesOf(a[1]), bytesOf(a[2]), a[3].String(), m)
			if err != nil {
				return fail(err)
			}
			pj, _ := json.Marshal(o.Private)
			return map[string]any{"plain": toJS(o.Plain), "private": string(pj), "plain_sha256": o.PlainSHA256}
		}),
		"openDocument": fn(func(a []js.Value) any {
			// slot, private, content, the document record (JSON) and the
			// depositor's signing key.
			o, err := keys.OpenDocument(bytesOf(a[0]), bytesOf(a[1]), bytesOf(a[2]), []byte(a[3].String()), a[4].String())
			if err != nil {
				return fail(err)
			}
			pj, _ := json.Marshal(o.Private)
			return map[string]any{"plain": toJS(o.Plain), "private": string(pj), "plain_sha256": o.PlainSHA256}
		}),
		"rewrap": fn(func(a []js.Value) any {
			s, err := keys.Rewrap(bytesOf(a[0]), a[1].String())
			if err != nil {
				return fail(err)
			}
			return map[string]any{"slot": b64(s)}
		}),
		"sealStart": fn(func(a []js.Value) any {
			// A deposit request (JSON text) and the file's size: the
			// document id, slots, public metadata and scopes as signed,
			// the age file's length and its first bytes (the header).
			// To go on with a deposit whose upload a reload interrupted,
			// the depositor's key slot and the head of its age file
			// (base64), which the identity loaded opens.
			var req inbrowser.DepositRequest
			if err := json.Unmarshal([]byte(a[0].String()), &req); err != nil {
				return fail(err)
			}
			var from *inbrowser.Resume
			if a[3].Type() == js.TypeString {
				from = new(inbrowser.Resume)
				from.Slot, _ = base64.StdEncoding.DecodeString(a[2].String())
				from.Head, _ = base64.StdEncoding.DecodeString(a[3].String())
			}
			d, err := signer.StartDeposit(req, int64(a[1].Float()), keys, from)
			if err != nil {
				return fail(err)
			}
			head, err := d.Write(nil)
			if err != nil {
				return fail(err)
			}
			stream = d
			slots := map[string]any{}
			for id, b := range d.Slots() {
				slots[id] = b64(b)
			}
			scopes := make([]any, len(d.Scopes()))
			for i, sc := range d.Scopes() {
				scopes[i] = sc
			}
			return map[string]any{"id": d.ID(), "public": string(d.Public()), "consent_scopes": scopes,
				"slots": slots, "length": float64(d.Length), "content": toJS(head)}
		}),
		"sealWrite": fn(func(a []js.Value) any {
			// The next slice of the file, and where to put its ciphertext
			// (at least the slice's length + 1 MiB): both buffers are the
			// page's to reuse, and so is the module's copy of the slice,
			// so that a long file makes no garbage slice after slice.
			if stream == nil {
				return fail(errNoStream)
			}
			n := a[0].Get("length").Int()
			if cap(scratch) < n {
				scratch = make([]byte, n)
			}
			plain := scratch[:n]
			js.CopyBytesToGo(plain, a[0])
			ct, err := stream.Write(plain)
			clear(plain)
			if err == nil && a[1].Get("length").Int() < len(ct) {
				err = errors.New("the buffer for the ciphertext is too small")
			}
			if err != nil {
				stream = nil
				return fail(err)
			}
			js.CopyBytesToJS(a[1], ct)
			// and the SHA-256 of the ciphertext so far, which a resumed
			// deposit compares with what the server acknowledged.
			_, sum := stream.Written()
			return map[string]any{"n": len(ct), "sha256": hex.EncodeToString(sum[:])}
		}),
		"sealFinish": fn(func(a []js.Value) any {
			if stream == nil {
				return fail(errNoStream)
			}
			d, err := stream.Finish(time.Now())
			stream = nil
			if err != nil {
				return fail(err)
			}
			return map[string]any{"manifest": string(d.Manifest), "manifest_sig": string(d.ManifestSig),
				"content": toJS(d.Content), "private": b64(d.Private),
				"cipher_sha256": d.CipherSHA256, "plain_sha256": d.PlainSHA256}
		}),
		"checkKeys": fn(func(a []js.Value) any {
			// user, the answer of GET /v1/users/{id}/keys (JSON text), the
			// verifier key, the last checkpoint ("" for none), the keys
			// pinned (JSON, "" for none), and whether to accept a change.
			var pinned *inbrowser.PinnedKeys
			if p := optString(a[4]); p != "" {
				if err := json.Unmarshal([]byte(p), &pinned); err != nil {
					return fail(err)
				}
			}
			var last []byte
			if l := optString(a[3]); l != "" {
				last = []byte(l)
			}
			pin, keep, err := inbrowser.CheckKeys(a[0].String(), []byte(a[1].String()), a[2].String(), last, pinned, a[5].Truthy())
			if err != nil {
				return fail(err)
			}
			pj, _ := json.Marshal(pin)
			return map[string]any{"recipient": pin.Recipient, "signing_key": pin.SigningKey, "seq": float64(pin.Seq),
				"pin": string(pj), "checkpoint": string(keep)}
		}),
		"redact": fn(func(a []js.Value) any {
			var persons, names, keep []string
			var fields map[string]string
			for i, v := range []any{&persons, &names, &fields} {
				if err := json.Unmarshal([]byte(a[i].String()), v); err != nil {
					return fail(err)
				}
			}
			if len(a) > 3 && a[3].Type() == js.TypeString {
				if err := json.Unmarshal([]byte(a[3].String()), &keep); err != nil {
					return fail(err)
				}
			}
			out, removed := inbrowser.RedactPreview(persons, keep, names, fields)
			b, _ := json.Marshal(map[string]any{"fields": out, "removed": removed})
			return map[string]any{"json": string(b)}
		}),
		"openCheckpoint": fn(func(a []js.Value) any {
			// The note, the verifier key and, optionally, the witnesses'
			// verifier keys (JSON array) and how many must have cosigned.
			var witnesses []string
			quorum := 0
			if len(a) > 2 {
				if s := optString(a[2]); s != "" {
					if err := json.Unmarshal([]byte(s), &witnesses); err != nil {
						return fail(err)
					}
				}
			}
			if len(a) > 3 && a[3].Type() == js.TypeNumber {
				quorum = a[3].Int()
			}
			c, names, err := inbrowser.OpenCosigned([]byte(a[0].String()), a[1].String(), witnesses, quorum)
			if err != nil {
				return fail(err)
			}
			cosigned := make([]any, len(names))
			for i, n := range names {
				cosigned[i] = n
			}
			return map[string]any{"origin": c.Origin, "size": float64(c.Size), "root": c.Root.String(), "cosigned": cosigned}
		}),
		"checkConsistency": fn(func(a []js.Value) any {
			key := a[2].String()
			older, err := inbrowser.OpenCheckpoint([]byte(a[0].String()), key)
			if err != nil {
				return fail(err)
			}
			newer, err := inbrowser.OpenCheckpoint([]byte(a[1].String()), key)
			if err != nil {
				return fail(err)
			}
			var proof tlog.TreeProof
			if s := a[3].String(); s != "" && s != "<undefined>" {
				var p struct {
					Proof []tlog.Hash `json:"proof"`
				}
				if err := json.Unmarshal([]byte(s), &p); err != nil {
					return fail(err)
				}
				proof = p.Proof
			}
			if err := inbrowser.CheckConsistency(older, newer, proof); err != nil {
				return fail(err)
			}
			return map[string]any{"ok": true}
		}),
		"treeRoot": fn(func(a []js.Value) any {
			var events []json.RawMessage
			if err := json.Unmarshal([]byte(a[0].String()), &events); err != nil {
				return fail(err)
			}
			leaves := make([][]byte, len(events))
			for i, e := range events {
				leaves[i] = e
			}
			r, err := inbrowser.TreeRoot(leaves)
			if err != nil {
				return fail(err)
			}
			return map[string]any{"root": r.String()}
		}),
	}
	addExport(api)
	js.Global().Set("amanaWasm", js.ValueOf(api))
	select {}
}
