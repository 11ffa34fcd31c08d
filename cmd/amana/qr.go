package main

import (
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// qrQuietZone is the blank border a scanner needs around the code (ISO/IEC
// 18004 asks for 4 modules).
const qrQuietZone = 4

// writeQR draws text as a QR code with Unicode half blocks, two module rows
// per line. Light modules are drawn and dark ones left blank, as qrencode
// -t UTF8 does, so the code reads on the usual dark terminal.
func writeQR(w io.Writer, text string) error {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	m := qrModules(code)
	n := len(m)
	light := func(x, y int) bool {
		x, y = x-qrQuietZone, y-qrQuietZone
		if x < 0 || y < 0 || x >= n || y >= n {
			return true
		}
		return !m[y][x]
	}
	size := n + 2*qrQuietZone
	var b strings.Builder
	for y := 0; y < size; y += 2 {
		for x := 0; x < size; x++ {
			top, bottom := light(x, y), y+1 < size && light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// qrModules returns the code's modules, true for dark, by row.
func qrModules(img image.Image) [][]bool {
	r := img.Bounds()
	m := make([][]bool, r.Dy())
	for y := range m {
		m[y] = make([]bool, r.Dx())
		for x := range m[y] {
			g, _, _, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			m[y][x] = g < 0x8000
		}
	}
	return m
}
