package site_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/database"
	"plenary/internal/messaging"
)

// testMailLog is the demo coordinator's journey through the mail log:
// open it, filter it to one person, open a message whose HTML carries a
// planted script, see the HTML in its sandboxed frame with the script
// not run; then the audit log. axe checks the list, the message and the
// audit log, on a desktop and at phone width.
func testMailLog(t *testing.T, ctx context.Context, site demoSite, axeMissing, axeJS string) {
	base := site.url
	// A message to Robin whose HTML tries to run a script in the frame and
	// to reach the staff page around it.
	var planted int64
	err := database.InTx(ctx, site.db, func(tx *sql.Tx) error {
		var err error
		planted, _, err = site.outbox.Enqueue(ctx, tx, messaging.Message{Kind: "booking_confirmed", DedupeKey: "planted/1",
			ToName: "Dr Robin Ash", ToEmail: "robin.ash@example.org", Subject: "A planted message", Text: "Hello Robin.",
			HTML: `<p id="planted">Hello Robin, as sent.</p>` +
				`<script>document.getElementById("planted").textContent = "the script ran"; try { parent.document.title = "script reached the page" } catch (e) {}</script>`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	site.book(t, "sam.other@example.org") // someone else, whom the filter leaves out

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/messages")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/admin/messages" {
		t.Fatalf("after signing in the browser is at %s, want the mail log", loc)
	}
	if !present(t, ctx, `a[href="/admin/messages/`+fmt.Sprint(planted)+`"]`) || !strings.Contains(mustRun(t, ctx, chromedp.Text(`main`)), "sam.other@example.org") {
		t.Fatal("the mail log does not list both people's e-mails")
	}

	// Filter to Robin, typed in another case.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#recipient`, "ROBIN.ASH@", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/messages"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("filter: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "recipient=ROBIN.ASH%40") {
		t.Errorf("the filter is not in the address (shareable): %s", loc)
	}
	listed := mustRun(t, ctx, chromedp.Text(`main`))
	if strings.Contains(listed, "sam.other@example.org") || !strings.Contains(listed, "robin.ash@example.org") {
		t.Errorf("filtered to Robin, the list shows:\n%s", listed)
	}
	if v := mustRun(t, ctx, chromedp.Value(`#recipient`)); v != "ROBIN.ASH@" {
		t.Errorf("the filter does not keep what was typed: %q", v)
	}

	// Open the planted message.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`a[href="/admin/messages/`+fmt.Sprint(planted)+`"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("open the message: %v", err)
	}
	if h1 := mustRun(t, ctx, chromedp.Text(`h1`, chromedp.NodeVisible)); h1 != "A planted message" {
		t.Errorf("message page heading %q", h1)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`iframe.mail-html`)); err != nil {
		t.Fatal(err)
	}
	frames := mustRun(t, ctx, chromedp.Nodes(`iframe.mail-html`))
	if sb := frames[0].AttributeValue("sandbox"); sb != "" {
		t.Errorf("the frame's sandbox allows %q, want nothing", sb)
	}
	// The frame shows the message as sent: the script left it alone.
	inFrame := frameText(t, ctx, frames[0], fmt.Sprintf("/admin/messages/%d/html", planted), `#planted`)
	if inFrame != "Hello Robin, as sent." {
		t.Errorf("the frame shows %q: the planted script ran or the message is missing", inFrame)
	}
	if title := mustRun(t, ctx, chromedp.Title()); strings.Contains(title, "script") {
		t.Errorf("the planted script reached the staff page: title %q", title)
	}
	msgURL := base + fmt.Sprintf("/admin/messages/%d", planted)

	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	for _, u := range []string{base + "/admin/messages?recipient=robin", msgURL, base + "/admin/audit"} {
		testAxe(t, ctx, u, axeJS)
	}
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{base + "/admin/messages", msgURL, base + "/admin/audit"} {
		testAxe(t, ctx, u, axeJS)
		testPhoneWidthHere(t, ctx)
	}
}

// frameText reads the text of sel in the frame of node, whose document is
// path. Chrome runs a sandboxed frame (an opaque origin) in a process of
// its own, as a target of type "iframe" that the page's DOM does not
// reach: the frame is read through that target, or, when Chrome keeps
// the frame in the page's process, through the node.
func frameText(t *testing.T, ctx context.Context, node *chromedp.Node, path, sel string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("list the browser's targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasSuffix(info.URL, path) {
				frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				defer cancel()
				text, err := chromedp.Run(frameCtx, chromedp.Text(sel))
				if err != nil {
					t.Fatalf("read the frame %s: %v", info.URL, err)
				}
				return text
			}
		}
		if node.ContentDocument != nil {
			text, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.FromNode(node)))
			if err != nil {
				t.Fatalf("read the frame in the page: %v", err)
			}
			return text
		}
		time.Sleep(100 * time.Millisecond) // the frame's target is being attached
	}
	t.Fatalf("the HTML frame (%s) never appeared", path)
	return ""
}
