package attach

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
)

// ImageLimit is the largest image a provider takes without scaling it
// down itself (or refusing it).
type ImageLimit struct {
	MaxEdge  int   // longest edge in pixels; 0 = no limit
	MaxBytes int64 // encoded size; 0 = no limit
}

// decodeImage decodes the whole image in r, of type mime.
func decodeImage(r io.Reader, mime string) (image.Image, error) {
	for _, f := range imageFormats {
		if f.mime == mime {
			img, err := f.decode(bufio.NewReader(r))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
			}
			return img, nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not an image type", ErrUnsupported, mime)
}

// fit returns w × h scaled down so the longest edge is at most edge.
func fit(w, h, edge int) (int, int) {
	if edge <= 0 || (w <= edge && h <= edge) {
		return w, h
	}
	if w >= h {
		return edge, max(1, h*edge/w)
	}
	return max(1, w*edge/h), edge
}

// scale draws src into a new w × h image. CatmullRom keeps small text
// in screenshots readable (what a model is usually asked about), but its
// cost grows with the reduction, so a big reduction first goes most of
// the way with the cheap approximate bilinear filter, to twice the size.
func scale(src image.Image, w, h int) *image.NRGBA {
	b := src.Bounds()
	if b.Dx() > 4*w && b.Dy() > 4*h {
		mid := image.NewNRGBA(image.Rect(0, 0, 2*w, 2*h))
		draw.ApproxBiLinear.Scale(mid, mid.Bounds(), src, b, draw.Src, nil)
		src = mid
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// opaque reports whether img has no transparent pixel.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// encode writes img as JPEG (quality q) when it is opaque, else as PNG,
// and returns the bytes and their type.
func encode(img image.Image, q int) ([]byte, string, error) {
	var buf bytes.Buffer
	if opaque(img) {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, "", fmt.Errorf("encode jpeg: %w", err)
		}
		return buf.Bytes(), "image/jpeg", nil
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, "", fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), "image/png", nil
}

// resize makes an image of at most edge pixels on its longest side that
// fits in maxBytes, lowering the JPEG quality and then the size until it
// does.
func resize(src image.Image, edge int, maxBytes int64) ([]byte, string, error) {
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy(), edge)
	for attempt := 0; ; attempt++ {
		img := image.Image(src)
		if w != b.Dx() || h != b.Dy() {
			img = scale(src, w, h)
		} else if _, ok := src.(*image.Paletted); ok {
			img = scale(src, w, h) // a GIF frame becomes a plain image
		}
		data, mime, err := encode(img, 85-10*min(attempt, 3))
		if err != nil {
			return nil, "", err
		}
		if maxBytes <= 0 || int64(len(data)) <= maxBytes || (w <= 64 && h <= 64) {
			return data, mime, nil
		}
		if attempt >= 2 {
			w, h = max(1, w*3/4), max(1, h*3/4)
		}
	}
}
