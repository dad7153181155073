// Package attachtest makes real files for tests of attachments: PNG and
// JPEG images, a PDF with a line of text on each page, and the hostile
// files every upload path must refuse or make inert.
package attachtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
)

// Pattern is a w × h picture with something to see (a gradient and a
// diagonal), so scaling has work to do and encoders cannot cheat.
func Pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: uint8(x * 255 / max(1, w-1)), G: uint8(y * 255 / max(1, h-1)), B: uint8((x ^ y) & 0xff), A: 255}
			if x*h/max(1, w) == y {
				c = color.NRGBA{A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// PNG is a real w × h PNG.
func PNG(w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, Pattern(w, h)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// JPEG is a real w × h JPEG.
func JPEG(w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, Pattern(w, h), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// NoisePNG is a w × h PNG of noise: it does not compress, so its size is
// about 4 bytes a pixel (a 10 MB file from about 1600 × 1600).
func NoisePNG(w, h int, seed uint32) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	x := seed | 1
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PDF is a real PDF with one page per line of pages, each showing its
// line in Helvetica.
func PDF(pages ...string) []byte {
	var b bytes.Buffer
	offsets := []int{}
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(pages)
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, text := range pages {
		text = strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(text)
		content := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", text)
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// Source is a small Go source file.
const Source = "package main\n\nimport \"fmt\"\n\n// main greets.\nfunc main() {\n\tfmt.Println(\"hello from main.go\")\n}\n"

// Hostile is one file an upload must refuse, or keep inert.
type Hostile struct {
	Case string
	Name string
	Data []byte
	// Refused is the error code the API answers; "" means it is accepted
	// (as text, never executed or rendered).
	Refused string
}

// HostileFiles are the files of the list: an SVG with script, an
// HTML file, a PNG that is really a ZIP, a 0-byte file, a name with ../
// and control characters, a 25 MB file.
func HostileFiles() []Hostile {
	zip := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), bytes.Repeat([]byte{0x9c, 0x00, 0xff}, 300)...)
	return []Hostile{
		{Case: "svg with script", Name: "logo.svg", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)},
		{Case: "html file", Name: "page.html", Data: []byte("<!doctype html><script>fetch('/api/sessions')</script><h1>hi</h1>")},
		{Case: "png that is a zip", Name: "photo.png", Data: zip, Refused: "unsupported_type"},
		{Case: "empty file", Name: "empty.txt", Data: nil, Refused: "empty_file"},
		{Case: "name with ../ and control characters", Name: "../../.ssh/\x00auth\x1b[31morized_keys\u202egpj.txt", Data: []byte("ssh-ed25519 AAAA test\n")},
		{Case: "25 MB file", Name: "big.txt", Data: bytes.Repeat([]byte("0123456789abcdef\n"), 25<<20/17), Refused: "too_large"},
	}
}
