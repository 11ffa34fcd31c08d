package audit

import "github.com/amana-vault/amana/auditlog"

// An Event is one audit record, as package auditlog defines it: its leaf
// data in the Merkle tree is its compact JSON encoding, exactly as stored
// and exported.
type Event = auditlog.Event
