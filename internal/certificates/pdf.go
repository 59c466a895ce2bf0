package certificates

import (
	"bytes"
	"fmt"

	"github.com/signintech/gopdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The certificate is an A4 landscape page in the Go fonts (Bigelow &
// Holmes, BSD licence, shipped with golang.org/x/image): they cover the
// WGL4 set — Latin with its accents, Greek and Cyrillic — so "Zoë
// Ångström-Núñez", "Αλέξανδρος" and "Дмитрий" print as typed. gopdf embeds
// the subset of glyphs used, with a ToUnicode map, so the text can be
// copied and read back (pdftotext). The page has no creation date or
// producer timestamp: the same certificate renders to the same bytes
// every time, which is why the PDF is made on request from the stored
// fields and never stored itself. Letters the Go fonts lack fall back to
// DejaVu Sans Bold (fonts.go).

// PDF renders c as a PDF; base is the site's address, for the QR code and
// the printed verification link.
func PDF(c Certificate, base string) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape})
	pdf.SetInfo(gopdf.PdfInfo{Title: "CPD certificate " + c.DisplayCode(), Author: c.Provider})
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		return nil, fmt.Errorf("certificates: pdf font: %w", err)
	}
	if err := pdf.AddTTFFontData("go-bold", gobold.TTF); err != nil {
		return nil, fmt.Errorf("certificates: pdf font: %w", err)
	}
	if err := pdf.AddTTFFontData("dejavu-bold", dejavuBold); err != nil {
		return nil, fmt.Errorf("certificates: pdf font: %w", err)
	}
	// The name, course and provider in the Go font when it has their
	// letters, else in DejaVu Sans (fonts.go). A name neither prints was
	// refused at issue; one stored before that check prints what DejaVu
	// has.
	bold := func(text string) string {
		if f, err := boldFontFor(text); err == nil {
			return f
		}
		return "dejavu-bold"
	}
	pdf.AddPage()
	const w, h, margin = 842.0, 595.0, 48.0

	// A frame, in the admin area's dark blue.
	pdf.SetStrokeColor(31, 58, 95)
	pdf.SetLineWidth(3)
	pdf.RectFromUpperLeftWithStyle(margin/2, margin/2, w-margin, h-margin, "D")
	pdf.SetLineWidth(0.8)
	pdf.RectFromUpperLeftWithStyle(margin/2+6, margin/2+6, w-margin-12, h-margin-12, "D")

	y := margin + 16
	line := func(font string, size float64, text string, gap float64) error {
		if text == "" {
			return nil
		}
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		lines, err := pdf.SplitTextWithWordWrap(text, w-4*margin)
		if err != nil {
			return err
		}
		for _, l := range lines {
			pdf.SetXY(2*margin, y)
			if err := pdf.CellWithOption(&gopdf.Rect{W: w - 4*margin, H: size * 1.25}, l, gopdf.CellOption{Align: gopdf.Center}); err != nil {
				return err
			}
			y += size * 1.25
		}
		y += gap
		return nil
	}
	pdf.SetTextColor(31, 58, 95)
	steps := []struct {
		font string
		size float64
		text string
		gap  float64
	}{
		{bold(c.Provider), 16, c.Provider, 18},
		{"go-bold", 30, "Certificate of CPD", 22},
		{"go", 13, "This is to certify that", 8},
		{bold(c.Name), 26, c.Name, 10},
		{"go", 13, "completed the course", 8},
		{bold(c.CourseTitle), 19, c.CourseTitle, 8},
		{"go", 13, c.Dates, 14},
		{"go-bold", 15, "CPD hours: " + c.Hours(), 0},
	}
	for _, s := range steps {
		if err := line(s.font, s.size, s.text, s.gap); err != nil {
			return nil, fmt.Errorf("certificates: pdf: %w", err)
		}
	}

	// The code and where to check it, bottom left; the QR code with the
	// same address, bottom right.
	url := VerifyURL(base, c.Code)
	const qrSize = 96.0
	qx, qy := w-margin-16-qrSize, h-margin-16-qrSize
	if err := pdf.SetFont("go-bold", "", 12); err != nil {
		return nil, err
	}
	pdf.SetXY(margin+16, qy+30)
	if err := pdf.Text("Verification code: " + c.DisplayCode()); err != nil {
		return nil, err
	}
	if err := pdf.SetFont("go", "", 10); err != nil {
		return nil, err
	}
	pdf.SetXY(margin+16, qy+50)
	if err := pdf.Text("Check this certificate at " + url); err != nil {
		return nil, err
	}
	if err := drawQR(pdf, url, qx, qy, qrSize); err != nil {
		return nil, fmt.Errorf("certificates: pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Write(&buf); err != nil {
		return nil, fmt.Errorf("certificates: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// drawQR draws the QR code of text as filled squares: vector, so it stays
// sharp at any print size, and with no image encoding in between.
func drawQR(pdf *gopdf.GoPdf, text string, x, y, size float64) error {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return err
	}
	bits := q.Bitmap() // with the quiet zone around it
	cell := size / float64(len(bits))
	pdf.SetFillColor(0, 0, 0)
	for r, row := range bits {
		for col, on := range row {
			if on {
				pdf.RectFromUpperLeftWithStyle(x+float64(col)*cell, y+float64(r)*cell, cell, cell, "F")
			}
		}
	}
	return nil
}
