package vault

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/vault/audit"
)

// DBFile is the name of the vault's bbolt file inside its data directory.
const DBFile = "vault.db"

// formatVersion is the layout this code writes (see migrate.go).
const formatVersion = "3"

var (
	bucketMeta        = []byte("meta")
	bucketUsers       = []byte("users")
	bucketCollections = []byte("collections")
	bucketDocs        = []byte("docs")
	bucketSlots       = []byte("slots")   // doc id -> bucket of slotKey(doc, user) -> key slot
	bucketPrivate     = []byte("private") // doc id -> encrypted private metadata
	bucketBlobs       = []byte("blobs")   // layout 2: blob id -> bucket of chunk index -> ciphertext
	bucketRefs        = []byte("refs")    // ciphertext SHA-256 -> state and document id (refs.go)
	bucketUploads     = []byte("uploads") // upload id -> pending upload, swept on open
	bucketOutbox      = []byte("outbox")  // sequence -> index change, drained by the indexer
	bucketCustody     = []byte("custody") // doc id "/" audit seq -> nil: each document's trail

	allBuckets = [][]byte{bucketMeta, bucketUsers, bucketCollections, bucketDocs,
		bucketSlots, bucketPrivate, bucketBlobs, bucketUploads, bucketOutbox, bucketCustody, bucketRefs}

	keyVersion   = []byte("version")
	keySealedKey = []byte("sealed_key")
	keyOrigin    = []byte("origin")
	keyBlobStore = []byte("blob_store") // URL of the blob store; absent: DIR/blobs
)

// Options configures a vault. The zero value is ready for production use.
type Options struct {
	// Now returns the current time; tests set it.
	Now func() time.Time
	// ScryptWorkFactor is the log2 scrypt work factor used to seal the
	// server key at Create (0: age's default, 18).
	ScryptWorkFactor int
	// MaxContentSize limits one document's ciphertext (0: 8 GiB).
	MaxContentSize int64
	// ChunkSize is the size of the stored ciphertext chunks (0: 256 KiB).
	// It is fixed at deposit time per document.
	ChunkSize int
	// LockTimeout is how long Open waits for another process holding the
	// vault (0: 1 s).
	LockTimeout time.Duration
	// Origin names the audit log in its checkpoints (0: "amana.local/vault").
	// It is fixed at Create.
	Origin string
	// BlobStore is the URL of the store that holds documents' ciphertext
	// (blobstore.Open): "" is the directory DIR/blobs beside the vault
	// file. It is recorded at Create; Open uses the recorded one.
	BlobStore string
	// UploadExpiry is how long a resumable upload lives after its last
	// byte arrived (0: DefaultUploadExpiry). MaxUploads and MaxUploadBytes
	// bound each user's unfinished uploads: how many, and their total
	// length (0: DefaultMaxUploads, DefaultMaxUploadBytes).
	UploadExpiry   time.Duration
	MaxUploads     int
	MaxUploadBytes int64
}

func (o *Options) fill() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxContentSize == 0 {
		o.MaxContentSize = 8 << 30
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = 256 << 10
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = time.Second
	}
	if o.Origin == "" {
		o.Origin = "amana.local/vault"
	}
	if o.UploadExpiry == 0 {
		o.UploadExpiry = DefaultUploadExpiry
	}
	if o.MaxUploads == 0 {
		o.MaxUploads = DefaultMaxUploads
	}
	if o.MaxUploadBytes == 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
}

// Vault is an open evidence vault. It is safe for concurrent use.
type Vault struct {
	db     *bbolt.DB
	dir    string
	opts   Options
	keys   *serverKeys
	log    *audit.Log
	commit *committer
	blobs  blobstore.Store

	uploads resumables // writers of resumable uploads between requests

	// watched holds, for requests whose refusals the API watches
	// (WatchRefusals), whether the vault recorded one: request id →
	// *atomic.Bool.
	watched sync.Map

	// onCheckpoint, if set, is called after every commit that may have
	// signed a new checkpoint (OnCheckpoint).
	onCheckpoint atomic.Pointer[func()]

	closeOnce sync.Once
}

// OnCheckpoint has f called after every commit that may have signed a new
// audit checkpoint (f must not block: the server's witness client only
// wakes up). nil removes it.
func (v *Vault) OnCheckpoint(f func()) {
	if f == nil {
		v.onCheckpoint.Store(nil)
		return
	}
	v.onCheckpoint.Store(&f)
}

func (v *Vault) signed() {
	if f := v.onCheckpoint.Load(); f != nil {
		(*f)()
	}
}

// Caller identifies who performs an action, for authorisation and audit.
type Caller struct {
	User      string // user id; "" for anonymous
	RequestID string
	Addr      string // client address, stored in the audit log only as a keyed hash
}

// NewUser describes a user to create.
type NewUser struct {
	ID        string
	Name      string
	Role      string
	Recipient string
	// SigningKey is the user's public signing key, "ssh-ed25519 …" or
	// "sk-ssh-ed25519@openssh.com …" (optional).
	SigningKey string
	// TOTPSecret is an existing base32 TOTP secret (for example from
	// keys-example); empty means generate one.
	TOTPSecret string
}

// Created is what Create reports once, and never again.
type Created struct {
	AdminID     string
	TOTPURL     string // otpauth:// URL of the admin's TOTP secret
	VerifierKey string // the audit log's note verifier key
}

// Create makes a new vault in dir with its first admin. It refuses to touch
// a directory that already holds a vault.
func Create(dir, passphrase string, admin NewUser, opts Options) (*Vault, *Created, error) {
	opts.fill()
	if passphrase == "" {
		return nil, nil, errors.New("vault: empty passphrase")
	}
	admin.Role = RoleAdmin
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err == nil {
		return nil, nil, fmt.Errorf("vault: %s already holds a vault", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	if err := checkNewUser(&admin); err != nil {
		return nil, nil, err
	}
	blobs, err := blobstore.Init(context.Background(), opts.BlobStore, dir)
	if err != nil {
		return nil, nil, err
	}

	master := make([]byte, serverKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, nil, err
	}
	sealed, err := sealServerKey(master, passphrase, opts.ScryptWorkFactor)
	if err != nil {
		return nil, nil, err
	}
	keys, err := deriveKeys(master)
	clear(master)
	if err != nil {
		return nil, nil, err
	}

	// Create the file exclusively, so two concurrent inits cannot both win.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	f.Close()
	db, err := bbolt.Open(path, 0o600, boltOptions(opts))
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	v := &Vault{db: db, dir: dir, opts: opts, keys: keys, blobs: blobs}
	v.log, err = audit.New(opts.Origin, keys.hmac, keys.signing)
	if err != nil {
		db.Close()
		os.Remove(path)
		return nil, nil, err
	}
	v.commit = newCommitter(db, v.log.Sign, v.signed)

	var url string
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyVersion, []byte(formatVersion)); err != nil {
			return err
		}
		if err := meta.Put(keySealedKey, sealed); err != nil {
			return err
		}
		if err := meta.Put(keyOrigin, []byte(opts.Origin)); err != nil {
			return err
		}
		if opts.BlobStore != "" {
			if err := meta.Put(keyBlobStore, []byte(blobs.URL())); err != nil {
				return err
			}
		}
		if err := v.log.Init(tx); err != nil {
			return err
		}
		var err error
		url, err = v.putNewUser(tx, admin)
		if err != nil {
			return err
		}
		ev := v.event(Caller{User: admin.ID}, "vault.init")
		ev.Target = admin.ID
		u, err := getUser(tx, admin.ID)
		if err != nil {
			return err
		}
		bindKeys(ev, u, nil)
		ev.Outcome = outcomeOK
		if err := v.appendEvent(tx, ev); err != nil {
			return err
		}
		return v.log.Sign(tx)
	})
	if err != nil {
		v.commit.close()
		db.Close()
		os.Remove(path)
		return nil, nil, fmt.Errorf("vault: create: %w", err)
	}
	return v, &Created{AdminID: admin.ID, TOTPURL: url, VerifierKey: v.log.VerifierKey()}, nil
}

// Open opens the vault in dir, unsealing the server key with passphrase.
// A vault written in an older layout is migrated, once (migrate.go).
// Uploads left unfinished by a crash are swept.
func Open(dir, passphrase string, opts Options) (*Vault, error) {
	opts.fill()
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoVault, dir)
		}
		return nil, fmt.Errorf("vault: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, boltOptions(opts))
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("vault: %s is in use by another process", dir)
		}
		return nil, fmt.Errorf("vault: %w", err)
	}
	v, err := open(db, dir, passphrase, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return v, nil
}

func open(db *bbolt.DB, dir, passphrase string, opts Options) (*Vault, error) {
	var sealed []byte
	var version string
	opts.BlobStore = ""
	err := db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("%w: %s", ErrNoVault, dir)
		}
		version = string(meta.Get(keyVersion))
		if version != formatVersion && version != layoutClearHolders && version != layoutChunks {
			return fmt.Errorf("vault: unsupported format version %q", version)
		}
		sealed = clone(meta.Get(keySealedKey))
		if o := meta.Get(keyOrigin); o != nil {
			opts.Origin = string(o)
		}
		opts.BlobStore = string(meta.Get(keyBlobStore))
		return nil
	})
	if err != nil {
		return nil, err
	}
	master, err := unsealServerKey(sealed, passphrase)
	if err != nil {
		return nil, err
	}
	keys, err := deriveKeys(master)
	clear(master)
	if err != nil {
		return nil, err
	}
	l, err := audit.New(opts.Origin, keys.hmac, keys.signing)
	if err != nil {
		return nil, err
	}
	blobs, err := blobstore.Open(context.Background(), opts.BlobStore, dir)
	if err != nil {
		return nil, fmt.Errorf("vault: opening the blob store %s: %w", blobstore.Redact(opts.BlobStore), err)
	}
	v := &Vault{db: db, dir: dir, opts: opts, keys: keys, log: l, blobs: blobs}
	v.commit = newCommitter(db, l.Sign, v.signed)
	if err := v.migrate(version); err != nil {
		return nil, fmt.Errorf("vault: migrating the file to format %s: %w", formatVersion, err)
	}
	if err := v.sweep(); err != nil {
		return nil, fmt.Errorf("vault: sweeping unfinished uploads: %w", err)
	}
	if _, err := v.SweepUploads(); err != nil {
		return nil, fmt.Errorf("vault: sweeping expired uploads: %w", err)
	}
	if err := v.bindUnbound(); err != nil {
		return nil, fmt.Errorf("vault: binding users' keys in the audit log: %w", err)
	}
	return v, nil
}

// Close finishes queued writes, signs a final checkpoint and closes the
// database.
func (v *Vault) Close() error {
	err := errClosed
	v.closeOnce.Do(func() {
		v.commit.close()
		err = errors.Join(v.db.Update(v.log.Sign), v.db.Close())
	})
	return err
}

// PendingBlobs counts the blobs being written: uploads in flight, or,
// before Open's sweep, what a crash left.
func (v *Vault) PendingBlobs() (int, error) {
	n := 0
	err := v.blobs.WalkPending(context.Background(), func(string) error {
		n++
		return nil
	})
	return n, err
}

// BlobStoreURL names the store that holds the documents' ciphertext.
func (v *Vault) BlobStoreURL() string { return v.blobs.URL() }

// Dir returns the vault's data directory.
func (v *Vault) Dir() string { return v.dir }

// VerifierKey returns the audit log's note verifier key.
func (v *Vault) VerifierKey() string { return v.log.VerifierKey() }

// sweep deletes uploads that never committed: their pending blobs (or, in
// layout 2, chunks) are invisible and no longer wanted. It runs at Open,
// when no upload can be in flight. It then removes the blobs a crash left
// behind: a blob committed for an upload whose record never committed
// (remembered until found, see refStateLeftover), and the blob of a
// document shredded or rekeyed before its old blob was removed. A blob the vault knows nothing of is left alone (Check reports
// it): it may be evidence deposited after the backup this vault file was
// restored from, or belong to another vault sharing the store.
func (v *Vault) sweep() error {
	ctx := context.Background()
	err := v.db.Update(func(tx *bbolt.Tx) error {
		ups := tx.Bucket(bucketUploads)
		blobs := tx.Bucket(bucketBlobs)
		var ids [][]byte
		err := ups.ForEach(func(k, val []byte) error {
			var u uploadRecord
			if err := json.Unmarshal(val, &u); err == nil && u.Blob != "" {
				if err := blobs.DeleteBucket([]byte(u.Blob)); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
					return err
				}
				if sum, err := blobstore.ParseSum(u.Sum); err == nil && refState(tx.Bucket(bucketRefs), sum) == 0 {
					if err := putRef(tx, sum, refStateLeftover, ""); err != nil {
						return err
					}
				}
			}
			ids = append(ids, clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range ids {
			if err := ups.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var keep map[string]bool
	v.db.View(func(tx *bbolt.Tx) error { keep = v.resumableBlobs(tx); return nil })
	if err := v.blobs.SweepPending(ctx, func(id string) bool { return keep[id] }); err != nil {
		return err
	}
	var remove, leftovers []blobstore.Sum
	err = v.db.View(func(tx *bbolt.Tx) error {
		refs := tx.Bucket(bucketRefs)
		return v.blobs.Walk(ctx, func(sum blobstore.Sum, _ int64) error {
			switch refState(refs, sum) {
			case refStateShredded, refStateReplaced:
				remove = append(remove, sum)
			case refStateLeftover:
				leftovers = append(leftovers, sum)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, sum := range append(remove, leftovers...) {
		if err := v.blobs.Remove(ctx, sum); err != nil {
			return err
		}
	}
	if len(leftovers) == 0 {
		return nil
	}
	// Found and removed: no write of them can land any more.
	return v.db.Update(func(tx *bbolt.Tx) error {
		for _, sum := range leftovers {
			if refState(tx.Bucket(bucketRefs), sum) == refStateLeftover {
				if err := tx.Bucket(bucketRefs).Delete(sum[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Backup writes a consistent copy of the vault file to w while the vault
// stays in use. The copy holds the same sealed data as the vault file
// itself: the records, not the ciphertext in the blob store.
func (v *Vault) Backup(c Caller, w io.Writer) (int64, error) {
	err := v.update(c, "vault.backup", func(tx *bbolt.Tx, ev *audit.Event) error {
		return v.may(tx, c, ev.Action)
	})
	if err != nil {
		return 0, err
	}
	var n int64
	err = v.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Check runs bbolt's consistency check over the whole file, and checks
// the blob store against the records: every active document's ciphertext
// is there at its recorded size, and every blob is a document's. It reads
// no ciphertext (readers check its hash).
func (v *Vault) Check() error {
	var errs []error
	sizes := map[blobstore.Sum]int64{}
	err := v.db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return tx.Bucket(bucketDocs).ForEach(func(k, _ []byte) error {
			d, err := v.getDoc(tx, string(k))
			if err != nil {
				errs = append(errs, fmt.Errorf("document %s: %w", k, err))
				return nil
			}
			if d.State != DocActive {
				return nil
			}
			if d.Blob != "" {
				if tx.Bucket(bucketBlobs).Bucket([]byte(d.Blob)) == nil {
					errs = append(errs, fmt.Errorf("document %s: its chunks are missing", k))
				}
				return nil
			}
			sum, ok := recordSum(d.CipherSHA256)
			if !ok || !refActive(tx.Bucket(bucketRefs), sum) {
				errs = append(errs, fmt.Errorf("document %s: its ciphertext hash is not recorded as in use", k))
				return nil
			}
			sizes[sum] = d.Size
			return nil
		})
	})
	if err != nil {
		return err
	}
	ctx := context.Background()
	var unknown int
	leftover := map[blobstore.Sum]bool{}
	v.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRefs).ForEach(func(k, val []byte) error {
			if len(val) > 0 && val[0] == refStateLeftover && len(k) == len(blobstore.Sum{}) {
				leftover[blobstore.Sum(k)] = true
			}
			return nil
		})
	})
	err = v.blobs.Walk(ctx, func(sum blobstore.Sum, size int64) error {
		want, ok := sizes[sum]
		switch {
		case leftover[sum]:
			// What a crash's upload wrote late; the next start removes it.
		case !ok:
			unknown++
		case size != want:
			errs = append(errs, fmt.Errorf("blob %s holds %d bytes, its record says %d", sum, size, want))
		}
		delete(sizes, sum)
		return nil
	})
	if err != nil {
		return fmt.Errorf("vault: listing the blob store: %w", err)
	}
	for sum := range sizes {
		errs = append(errs, fmt.Errorf("blob %s of an active document is missing from the blob store", sum))
	}
	if unknown > 0 {
		errs = append(errs, fmt.Errorf("%d blobs in the blob store are no active document's of this vault", unknown))
	}
	return errors.Join(errs...)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns 128 random bits as 26 lowercase base32 characters.
func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(b32.EncodeToString(b))
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// SignCheckpoint signs a checkpoint covering every audit event so far. The
// server calls it periodically; Close calls it once more.
func (v *Vault) SignCheckpoint() error { return v.db.Update(v.log.Sign) }

// boltOptions tunes bbolt for a vault: the freelist is not written at
// every commit (it is rebuilt at open, as etcd does), and the file is
// mapped with room to grow, so large deposits do not remap it repeatedly.
func boltOptions(opts Options) *bbolt.Options {
	return &bbolt.Options{
		Timeout:         opts.LockTimeout,
		NoFreelistSync:  true,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: 1 << 30,
	}
}
