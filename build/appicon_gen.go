//go:build ignore

// appicon_gen draws Holdfast's icon: a white chat bubble holding an anchor
// on a teal-to-blue tile. Shapes are signed distance fields, so edges are
// anti-aliased at any size without supersampling.
//
//	go run build/appicon_gen.go   # writes build/appicon.png and build/windows/icon.ico
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

type vec struct{ x, y float64 }

func (a vec) sub(b vec) vec       { return vec{a.x - b.x, a.y - b.y} }
func (a vec) dot(b vec) float64   { return a.x*b.x + a.y*b.y }
func (a vec) length() float64     { return math.Hypot(a.x, a.y) }
func (a vec) scale(k float64) vec { return vec{a.x * k, a.y * k} }

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// roundRect is the distance to a rectangle with corner radius r.
func roundRect(p, min, max vec, r float64) float64 {
	c := vec{(min.x + max.x) / 2, (min.y + max.y) / 2}
	h := vec{(max.x-min.x)/2 - r, (max.y-min.y)/2 - r}
	q := vec{math.Abs(p.x-c.x) - h.x, math.Abs(p.y-c.y) - h.y}
	out := vec{math.Max(q.x, 0), math.Max(q.y, 0)}.length()
	return out + math.Min(math.Max(q.x, q.y), 0) - r
}

// segment is the distance to a line segment of width w.
func segment(p, a, b vec, w float64) float64 {
	pa, ba := p.sub(a), b.sub(a)
	h := clamp(pa.dot(ba)/ba.dot(ba), 0, 1)
	return pa.sub(ba.scale(h)).length() - w/2
}

// triangle is the distance to a filled triangle.
func triangle(p, a, b, c vec) float64 {
	d := math.Inf(1)
	sign := 0
	for _, e := range [][2]vec{{a, b}, {b, c}, {c, a}} {
		d = math.Min(d, segment(p, e[0], e[1], 0))
		cross := (e[1].x-e[0].x)*(p.y-e[0].y) - (e[1].y-e[0].y)*(p.x-e[0].x)
		if cross > 0 {
			sign++
		} else {
			sign--
		}
	}
	if sign == 3 || sign == -3 {
		return -d
	}
	return d
}

// arc is the distance to the lower half of a ring (for the anchor's arms).
func arc(p, c vec, r, w float64) float64 {
	if p.y >= c.y {
		return math.Abs(p.sub(c).length()-r) - w/2
	}
	l, rr := vec{c.x - r, c.y}, vec{c.x + r, c.y}
	return math.Min(p.sub(l).length(), p.sub(rr).length()) - w/2
}

// cover turns a distance (in pixels) into anti-aliased coverage.
func cover(d float64) float64 { return clamp(0.5-d, 0, 1) }

func mix(a, b color.NRGBA, t float64) color.NRGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.NRGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), l(a.A, b.A)}
}

// over composites colour c with coverage k over dst.
func over(dst color.NRGBA, c color.NRGBA, k float64) color.NRGBA {
	a := k * float64(c.A) / 255
	da := float64(dst.A) / 255
	oa := a + da*(1-a)
	if oa == 0 {
		return color.NRGBA{}
	}
	ch := func(s, d uint8) uint8 {
		return uint8(math.Round((float64(s)*a + float64(d)*da*(1-a)) / oa))
	}
	return color.NRGBA{ch(c.R, dst.R), ch(c.G, dst.G), ch(c.B, dst.B), uint8(math.Round(oa * 255))}
}

func draw(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size) / 1024 // design units are 1024 px
	top := color.NRGBA{0x14, 0xb8, 0xa6, 0xff}
	bottom := color.NRGBA{0x1e, 0x3a, 0x8a, 0xff}
	ink := color.NRGBA{0x12, 0x3e, 0x6b, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			p := vec{(float64(x) + 0.5) / s, (float64(y) + 0.5) / s}
			px := func(d float64) float64 { return cover(d * s) }

			var c color.NRGBA
			tile := roundRect(p, vec{48, 48}, vec{976, 976}, 210)
			grad := clamp((p.x+p.y)/2048, 0, 1)
			c = over(c, mix(top, bottom, grad), px(tile))

			bubble := math.Min(
				roundRect(p, vec{196, 214}, vec{828, 706}, 130),
				triangle(p, vec{292, 640}, vec{270, 842}, vec{470, 690}),
			)
			c = over(c, white, px(bubble))

			anchor := math.Min(math.Min(
				math.Abs(p.sub(vec{512, 318}).length()-40)-12, // ring
				segment(p, vec{512, 360}, vec{512, 618}, 30)), // shank
				math.Min(math.Min(
					segment(p, vec{438, 404}, vec{586, 404}, 28), // stock
					arc(p, vec{512, 500}, 118, 30)),              // arms
					math.Min(
						triangle(p, vec{360, 470}, vec{432, 490}, vec{384, 540}), // flukes
						triangle(p, vec{664, 470}, vec{592, 490}, vec{640, 540}))))
			c = over(c, ink, px(anchor))
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encode(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// ico packs PNG images into a Windows .ico (PNG entries are valid since
// Vista).
func ico(sizes []int) []byte {
	var head, body bytes.Buffer
	binary.Write(&head, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for _, n := range sizes {
		data := encode(draw(n))
		dim := uint8(n)
		if n >= 256 {
			dim = 0
		}
		head.Write([]byte{dim, dim, 0, 0})
		binary.Write(&head, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&head, binary.LittleEndian, [2]uint32{uint32(len(data)), uint32(offset)})
		body.Write(data)
		offset += len(data)
	}
	return append(head.Bytes(), body.Bytes()...)
}

func main() {
	if err := os.WriteFile("build/appicon.png", encode(draw(1024)), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("build/windows/icon.ico", ico([]int{256, 64, 48, 32, 16}), 0o644); err != nil {
		log.Fatal(err)
	}
}
