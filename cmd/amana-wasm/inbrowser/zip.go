package inbrowser

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/amana-vault/amana/bundle/layout"
)

// Slice is an entry's content held in memory already: writeZip passes it
// on as one part of the zip, without copying it.
type Slice struct {
	*bytes.Reader
	b []byte
}

// NewSlice returns a reader of b that writeZip does not copy.
func NewSlice(b []byte) *Slice { return &Slice{bytes.NewReader(b), b} }

// writeZip lays entries out as a zip (APPNOTE.TXT) of stored,
// uncompressed files, and returns it in parts, in order: the bytes made
// here (headers, small files) and each Slice's bytes as they are, so that
// a document is not copied into a second buffer; the page joins the parts
// into a Blob. archive/zip, which package bundle uses, brings its Deflate
// compressor and decompressor with it: more than the module's size budget
// allows. A stored zip is as valid a bundle, and bundle.Verify reads it as
// it reads its own.
func writeZip(entries []layout.Entry) ([][]byte, error) {
	if len(entries) >= math.MaxUint16 {
		return nil, errors.New("too many files for a zip")
	}
	var (
		parts [][]byte
		made  []byte // made here since the last Slice
		off   int64  // the zip's length so far
		cd    []byte // the central directory
	)
	le := binary.LittleEndian
	for _, e := range entries {
		var data []byte
		if s, ok := e.R.(*Slice); ok {
			data = s.b
		} else {
			b, err := io.ReadAll(e.R)
			if err != nil {
				return nil, err
			}
			data = b
		}
		if int64(len(data)) >= math.MaxUint32 || off+int64(len(data)) >= math.MaxUint32 {
			return nil, errors.New("too large for a zip without zip64")
		}
		var flags uint16
		if !ascii(e.Name) {
			if !utf8.ValidString(e.Name) {
				return nil, errors.New("a file name is not UTF-8")
			}
			flags |= 0x800 // the name is UTF-8
		}
		tm, dt := dosTime(e.Modified)
		// Local file header.
		h := le.AppendUint32(nil, 0x04034b50)
		h = le.AppendUint16(h, 20) // version needed: 2.0
		h = le.AppendUint16(h, flags)
		h = le.AppendUint16(h, 0) // stored
		h = le.AppendUint16(h, tm)
		h = le.AppendUint16(h, dt)
		h = le.AppendUint32(h, crc32.ChecksumIEEE(data))
		h = le.AppendUint32(h, uint32(len(data)))
		h = le.AppendUint32(h, uint32(len(data)))
		h = le.AppendUint16(h, uint16(len(e.Name)))
		h = le.AppendUint16(h, 0) // no extra field
		// Its central directory header.
		cd = le.AppendUint32(cd, 0x02014b50)
		cd = le.AppendUint16(cd, 20) // made by: 2.0, MS-DOS attributes
		cd = append(cd, h[4:30]...)  // version needed … extra length, as above
		cd = le.AppendUint16(cd, 0)  // no comment
		cd = le.AppendUint16(cd, 0)  // disk 0
		cd = le.AppendUint16(cd, 0)  // internal attributes
		cd = le.AppendUint32(cd, 0)  // external attributes
		cd = le.AppendUint32(cd, uint32(off))
		cd = append(cd, e.Name...)

		made = append(append(made, h...), e.Name...)
		if _, ok := e.R.(*Slice); ok && len(data) > 0 {
			parts = append(parts, made, data)
			made = nil
		} else {
			made = append(made, data...)
		}
		off += int64(len(h) + len(e.Name) + len(data))
	}
	if off+int64(len(cd)) >= math.MaxUint32 {
		return nil, errors.New("too large for a zip without zip64")
	}
	end := le.AppendUint32(nil, 0x06054b50)
	end = le.AppendUint16(end, 0)
	end = le.AppendUint16(end, 0)
	end = le.AppendUint16(end, uint16(len(entries)))
	end = le.AppendUint16(end, uint16(len(entries)))
	end = le.AppendUint32(end, uint32(len(cd)))
	end = le.AppendUint32(end, uint32(off))
	end = le.AppendUint16(end, 0) // no comment
	return append(parts, append(append(made, cd...), end...)), nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// dosTime is t as MS-DOS time and date fields (UTC, to two seconds).
func dosTime(t time.Time) (tm, dt uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2),
		uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
}
