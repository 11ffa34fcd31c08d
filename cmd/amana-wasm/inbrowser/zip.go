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

// writeZip writes entries to w as a zip (APPNOTE.TXT) of stored,
// uncompressed files. archive/zip, which package bundle uses, brings its
// Deflate compressor and decompressor with it: more than the module's size
// budget allows. A stored zip is as valid a bundle, and bundle.Verify reads
// it as it reads its own.
func writeZip(w *bytes.Buffer, entries []layout.Entry) error {
	if len(entries) >= math.MaxUint16 {
		return errors.New("too many files for a zip")
	}
	var cd bytes.Buffer
	le := binary.LittleEndian
	for _, e := range entries {
		// Two passes over each file, for its CRC and size first: the
		// content is in memory already and is not copied for this.
		r, ok := e.R.(io.ReadSeeker)
		if !ok {
			b, err := io.ReadAll(e.R)
			if err != nil {
				return err
			}
			r = bytes.NewReader(b)
		}
		sum := crc32.NewIEEE()
		size, err := io.Copy(sum, r)
		if err != nil {
			return err
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if size >= math.MaxUint32 || int64(w.Len())+size >= math.MaxUint32 {
			return errors.New("too large for a zip without zip64")
		}
		var flags uint16
		if !ascii(e.Name) {
			if !utf8.ValidString(e.Name) {
				return errors.New("a file name is not UTF-8")
			}
			flags |= 0x800 // the name is UTF-8
		}
		tm, dt := dosTime(e.Modified)
		offset := uint32(w.Len())
		// Local file header.
		h := le.AppendUint32(nil, 0x04034b50)
		h = le.AppendUint16(h, 20) // version needed: 2.0
		h = le.AppendUint16(h, flags)
		h = le.AppendUint16(h, 0) // stored
		h = le.AppendUint16(h, tm)
		h = le.AppendUint16(h, dt)
		h = le.AppendUint32(h, sum.Sum32())
		h = le.AppendUint32(h, uint32(size))
		h = le.AppendUint32(h, uint32(size))
		h = le.AppendUint16(h, uint16(len(e.Name)))
		h = le.AppendUint16(h, 0) // no extra field
		w.Write(h)
		w.WriteString(e.Name)
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		// Its central directory header.
		c := le.AppendUint32(nil, 0x02014b50)
		c = le.AppendUint16(c, 20) // made by: 2.0, MS-DOS attributes
		c = append(c, h[4:30]...)  // version needed … extra length, as above
		c = le.AppendUint16(c, 0)  // no comment
		c = le.AppendUint16(c, 0)  // disk 0
		c = le.AppendUint16(c, 0)  // internal attributes
		c = le.AppendUint32(c, 0)  // external attributes
		c = le.AppendUint32(c, offset)
		cd.Write(c)
		cd.WriteString(e.Name)
	}
	start := w.Len()
	if start >= math.MaxUint32 {
		return errors.New("too large for a zip without zip64")
	}
	w.Write(cd.Bytes())
	end := le.AppendUint32(nil, 0x06054b50)
	end = le.AppendUint16(end, 0)
	end = le.AppendUint16(end, 0)
	end = le.AppendUint16(end, uint16(len(entries)))
	end = le.AppendUint16(end, uint16(len(entries)))
	end = le.AppendUint32(end, uint32(cd.Len()))
	end = le.AppendUint32(end, uint32(start))
	end = le.AppendUint16(end, 0) // no comment
	w.Write(end)
	return nil
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
