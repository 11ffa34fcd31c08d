package vault

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"filippo.io/age"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// An off-site mirror is a blob store (blobstore.Open: a directory or a
// bucket, usually abroad) that holds:
//
//	blobs            the ciphertext of every active document, by SHA-256
//	sealed-key.age   the server key sealed with the passphrase (as in the vault file)
//	records.age      a consistent copy of the vault file, encrypted with a
//	                 key derived from the server key (age, scrypt recipient)
//	checkpoint       the newest signed checkpoint of the audit log (public)
//	mirror.json      when the round ran, and what it copied
//
// The mirror's operator reads none of the vault: blobs are encrypted to
// users' keys, the records and the audit log to the server key, which only
// the passphrase unseals. Restore rebuilds a vault from the mirror and the
// passphrase alone.
const (
	mirrorSealedKey  = "sealed-key.age"
	mirrorRecords    = "records.age"
	mirrorCheckpoint = "checkpoint"
	mirrorStatus     = "mirror.json"
)

// MirrorReport says what a mirror round did.
type MirrorReport struct {
	Time         time.Time `json:"time"`
	Documents    int       `json:"documents"`     // active documents, all of whose ciphertext the mirror now holds
	Copied       int       `json:"blobs_copied"`  // blobs copied in this round
	CopiedBytes  int64     `json:"bytes_copied"`  // their bytes
	Removed      int       `json:"blobs_removed"` // blobs of shredded or rekeyed documents removed
	RecordsBytes int64     `json:"records_bytes"` // size of the encrypted records
	AuditSize    int64     `json:"audit_events"`  // events the mirrored log holds
	Legacy       int       `json:"legacy_documents,omitempty"`
}

// mirrorKey derives the key the mirrored records are encrypted with. It
// is a 256-bit secret, so age's scrypt recipient needs no real work factor.
func mirrorKey(master []byte) (string, error) {
	k, err := hkdfDerive(master, "mirror records v1", 32)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(k), nil
}

// Mirror copies the vault to the store to, idempotently: the blobs the
// mirror lacks (each checked against its hash as it is written), then the
// encrypted records and the newest checkpoint, then it removes from the
// mirror the blobs of documents shredded or rekeyed since, so a shred
// reaches the mirror too. Documents still in the vault file (layout 2)
// are not mirrored: run migrate-blobs first; the report counts them.
// It runs while the vault is in use; a deposit that commits during the
// round is in the next one.
func (v *Vault) Mirror(ctx context.Context, to blobstore.Store) (*MirrorReport, error) {
	rep := &MirrorReport{Time: v.opts.Now().UTC()}
	have := map[blobstore.Sum]int64{}
	if err := to.Walk(ctx, func(s blobstore.Sum, n int64) error { have[s] = n; return nil }); err != nil {
		return nil, fmt.Errorf("vault: listing the mirror: %w", err)
	}

	// One read transaction fixes what this round mirrors: the records
	// written below and the blobs they name.
	tmp, err := os.CreateTemp(v.dir, ".mirror-records-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	want := map[blobstore.Sum]int64{}
	var sealedKey, checkpoint []byte
	err = v.db.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return err
			}
			if d.State != DocActive {
				return nil
			}
			if d.Blob != "" {
				rep.Legacy++
				return nil
			}
			if sum, ok := recordSum(d.CipherSHA256); ok {
				want[sum] = d.Size
			}
			return nil
		})
		if err != nil {
			return err
		}
		sealedKey = clone(tx.Bucket(bucketMeta).Get(keySealedKey))
		if checkpoint, err = audit.LatestCheckpoint(tx); err != nil {
			return err
		}
		if rep.AuditSize, err = audit.Size(tx); err != nil {
			return err
		}
		r, err := age.NewScryptRecipient(v.keys.mirror)
		if err != nil {
			return err
		}
		r.SetWorkFactor(10)
		w, err := age.Encrypt(tmp, r)
		if err != nil {
			return err
		}
		if _, err := tx.WriteTo(w); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("vault: mirror: %w", err)
	}
	rep.Documents = len(want)

	for sum, size := range want {
		if n, ok := have[sum]; ok && n == size {
			continue
		}
		if err := copyBlob(ctx, v.blobs, to, sum); err != nil {
			return nil, fmt.Errorf("vault: mirroring blob %s: %w", sum, err)
		}
		rep.Copied++
		rep.CopiedBytes += size
	}
	put := func(name string, r io.Reader, size int64) error {
		if err := to.PutFile(ctx, name, r, size); err != nil {
			return fmt.Errorf("vault: mirror: %w", err)
		}
		return nil
	}
	if err := put(mirrorSealedKey, bytes.NewReader(sealedKey), int64(len(sealedKey))); err != nil {
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rep.RecordsBytes = fi.Size()
	if err := put(mirrorRecords, tmp, fi.Size()); err != nil {
		return nil, err
	}
	if err := put(mirrorCheckpoint, bytes.NewReader(checkpoint), int64(len(checkpoint))); err != nil {
		return nil, err
	}
	// Only now that the mirrored records no longer name them.
	for sum := range have {
		if _, ok := want[sum]; ok {
			continue
		}
		if err := to.Remove(ctx, sum); err != nil {
			return nil, fmt.Errorf("vault: mirror: %w", err)
		}
		rep.Removed++
	}
	status, _ := json.MarshalIndent(rep, "", "  ")
	if err := put(mirrorStatus, bytes.NewReader(status), int64(len(status))); err != nil {
		return nil, err
	}
	// A round that sent or removed ciphertext is audited (the mirror's copy
	// of the log has the event from the next round on); one that changed
	// nothing is not, so that rounds do not flood the log.
	if rep.Copied > 0 || rep.Removed > 0 {
		err := v.commit.do(func(tx *bbolt.Tx) error {
			ev := v.event(Caller{}, "vault.mirror")
			ev.Outcome = outcomeOK
			ev.Detail = map[string]string{
				"to": blobstore.Redact(to.URL()), "documents": strconv.Itoa(rep.Documents),
				"blobs_copied": strconv.Itoa(rep.Copied), "bytes_copied": strconv.FormatInt(rep.CopiedBytes, 10),
				"blobs_removed": strconv.Itoa(rep.Removed),
			}
			return v.appendEvent(tx, ev)
		})
		if err != nil {
			return nil, fmt.Errorf("vault: auditing the mirror round: %w", err)
		}
	}
	return rep, nil
}

// copyBlob copies one blob; the destination checks its hash on Commit.
func copyBlob(ctx context.Context, from, to blobstore.Store, sum blobstore.Sum) error {
	r, err := from.Open(ctx, sum)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := to.Create(ctx)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return err
	}
	return w.Commit(ctx, sum)
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	Documents   int       `json:"documents"`
	Bytes       int64     `json:"bytes"`
	MirroredAt  time.Time `json:"mirrored_at"`
	AuditEvents int64     `json:"audit_events"`
}

// Restore rebuilds a vault in dir, which must not hold one, from the
// mirror from and the passphrase: it unseals the server key, decrypts
// the records into dir's vault file, copies every active document's blob
// into the blob store blobStore (a URL as for Create; "" is dir/blobs),
// each checked against its hash, records that store, and checks the
// result. The search index is not in the mirror: rebuild it (reindex).
func Restore(ctx context.Context, from blobstore.Store, dir, passphrase, blobStore string) (*RestoreReport, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("vault: %s already holds a vault", dir)
	}
	get := func(name string, max int64) ([]byte, error) {
		r, err := from.GetFile(ctx, name)
		if errors.Is(err, blobstore.ErrNotFound) {
			return nil, fmt.Errorf("vault: %s holds no mirror (no %s): %w", from.URL(), name, err)
		}
		if err != nil {
			return nil, fmt.Errorf("vault: the mirror's %s: %w", name, err)
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, max+1))
		if err == nil && int64(len(b)) > max {
			err = errors.New("too large")
		}
		if err != nil {
			return nil, fmt.Errorf("vault: the mirror's %s: %w", name, err)
		}
		return b, nil
	}
	sealed, err := get(mirrorSealedKey, 64<<10)
	if err != nil {
		return nil, err
	}
	master, err := unsealServerKey(sealed, passphrase)
	if err != nil {
		return nil, err
	}
	key, err := mirrorKey(master)
	clear(master)
	if err != nil {
		return nil, err
	}
	var rep RestoreReport
	if b, err := get(mirrorStatus, 64<<10); err == nil {
		var st MirrorReport
		if json.Unmarshal(b, &st) == nil {
			rep.MirroredAt = st.Time
		}
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	rc, err := from.GetFile(ctx, mirrorRecords)
	if err != nil {
		return nil, fmt.Errorf("vault: the mirror's records: %w", err)
	}
	defer rc.Close()
	id, err := age.NewScryptIdentity(key)
	if err != nil {
		return nil, err
	}
	pr, err := age.Decrypt(rc, id)
	if err != nil {
		return nil, fmt.Errorf("vault: the mirror's records do not open with this vault's key: %w", err)
	}
	partial := path + ".restore"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(f, pr)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(partial)
		return nil, fmt.Errorf("vault: restoring the records: %w", err)
	}
	// The records name the store the vault had; this one uses blobStore.
	db, err := bbolt.Open(partial, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		os.Remove(partial)
		return nil, fmt.Errorf("vault: the restored records: %w", err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || !bytes.Equal(meta.Get(keySealedKey), sealed) {
			return errors.New("the records are not those of the mirrored server key")
		}
		if blobStore == "" {
			return meta.Delete(keyBlobStore)
		}
		return meta.Put(keyBlobStore, []byte(blobStore))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(partial)
		return nil, fmt.Errorf("vault: the restored records: %w", err)
	}
	store, err := blobstore.Init(ctx, blobStore, dir)
	if err != nil {
		os.Remove(partial)
		return nil, err
	}
	if blobStore != "" {
		// Record the store's canonical URL, as Create does.
		db, err := bbolt.Open(partial, 0o600, &bbolt.Options{Timeout: time.Second})
		if err == nil {
			err = db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyBlobStore, []byte(store.URL())) })
			db.Close()
		}
		if err != nil {
			os.Remove(partial)
			return nil, err
		}
	}
	if err := os.Rename(partial, path); err != nil {
		return nil, err
	}

	v, err := Open(dir, passphrase, Options{})
	if err != nil {
		return nil, err
	}
	// A restore that fails from here leaves its vault file aside, as
	// vault.db.incomplete, so that no one serves a vault missing evidence
	// and a new attempt can start over.
	failed := func(err error) (*RestoreReport, error) {
		v.Close()
		if rerr := os.Rename(path, path+".incomplete"); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	defer v.Close()
	type want struct {
		id   string
		sum  blobstore.Sum
		size int64
	}
	var wants []want
	err = v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				return fmt.Errorf("document %s: %w", k, err)
			}
			if d.State != DocActive {
				return nil
			}
			if d.Blob != "" { // layout 2: the chunks came with the records
				rep.Documents++
				rep.Bytes += d.Size
				return nil
			}
			sum, ok := recordSum(d.CipherSHA256)
			if !ok {
				return fmt.Errorf("document %s: no ciphertext hash", d.ID)
			}
			wants = append(wants, want{d.ID, sum, d.Size})
			return nil
		})
	})
	for _, w := range wants {
		if err != nil {
			break
		}
		if err = copyBlob(ctx, from, store, w.sum); err != nil {
			err = fmt.Errorf("document %s: %w", w.id, err)
			break
		}
		rep.Documents++
		rep.Bytes += w.size
	}
	if err != nil {
		return failed(fmt.Errorf("vault: restoring blobs: %w", err))
	}
	if err := v.Check(); err != nil {
		return failed(fmt.Errorf("vault: the restored vault fails its check: %w", err))
	}
	if err := v.db.View(func(tx *bbolt.Tx) (err error) { rep.AuditEvents, err = audit.Size(tx); return }); err != nil {
		return nil, err
	}
	return &rep, nil
}
