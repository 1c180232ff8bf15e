// Package browsertest drives a real, headless Chromium for tests of the
// playground's page: Debian's chromium package (/usr/bin/chromium), or
// the browser named by CHROMIUM. A test that cannot start one fails and
// says what to install; it never skips.
//
// Every step runs with a timeout and fails the test with a screenshot of
// the moment (named after the step) when it cannot be done. Screenshots
// go to t.ArtifactDir(): with `go test -artifacts` they are kept under
// _artifacts/ next to the test output (-outputdir), otherwise they are
// removed after the test. An exception the page's script does not catch
// fails the test.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Candidates are searched for a browser, after $CHROMIUM.
var candidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// StepTimeout bounds each Do, Wait and Eval.
const StepTimeout = 15 * time.Second

// Browser is one headless Chromium with one tab.
type Browser struct {
	t      testing.TB
	ctx    context.Context
	shots  int
	mu     sync.Mutex
	errors []string
}

// FindChromium returns the browser's path, or an error saying what to install.
func FindChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found (looked for %s): install it (Debian: apt-get install chromium) or set CHROMIUM to its path",
		strings.Join(candidates, ", "))
}

// Start launches a headless Chromium with a fresh profile and a 1280×800
// viewport, and stops it when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here, clearly. The
	// first run must use the tab's own context: a derived one would close
	// the tab when it ends.
	timer := time.AfterFunc(60*time.Second, cancelTab)
	err = chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(1280, 800))
	timer.Stop()
	if err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	go b.watchConsole()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("browsertest: the page threw: %s", e)
		}
	})
	return b
}

func (b *Browser) watchConsole() {
	for m, err := range chromedp.Console(b.ctx) {
		if err != nil {
			return
		}
		if m.IsException() {
			b.mu.Lock()
			b.errors = append(b.errors, m.Text)
			b.mu.Unlock()
		}
	}
}

// Do runs steps in order; the first that fails (or takes over
// StepTimeout) fails the test, with a screenshot.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.failf(what, "%v", err)
	}
}

// Eval evaluates a JavaScript expression in the page and returns its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.failf("eval", "%s: %v", expr, err)
	}
	return v
}

// WaitJS waits until the JavaScript expression is truthy, and fails the
// test (with a screenshot) after StepTimeout.
func (b *Browser) WaitJS(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.failf(what, "waited %s for %s (last error: %v)", StepTimeout, expr, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Text returns the visible text of the first element matching the CSS
// selector, waiting for it.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.failf("text of "+sel, "%v", err)
	}
	return s
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves the window as a PNG in t.ArtifactDir(), numbered in
// order (01-name.png, …), and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	path, err := b.screenshot(name)
	if err != nil {
		b.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	return path
}

func (b *Browser) screenshot(name string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, StepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	path := filepath.Join(b.t.ArtifactDir(), fmt.Sprintf("%02d-%s.png", n, unsafeName.ReplaceAllString(name, "-")))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", err
	}
	b.t.Logf("screenshot %s", path)
	return path, nil
}

func (b *Browser) failf(what, format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if path, err := b.screenshot("failed-" + what); err == nil {
		msg += " (screenshot: " + path + ")"
	}
	b.t.Fatalf("browsertest: %s: %s", what, msg)
}

// Context returns the tab's context, for chromedp calls the helpers do
// not cover.
func (b *Browser) Context() context.Context { return b.ctx }

// Enter presses Enter in the focused element the way a keyboard does: one
// keyDown carrying the text, so a page that handles keydown and calls
// preventDefault (a chat composer) gets no newline. (chromedp.SendKeys
// sends a separate char event, which inserts one whatever the page did.)
func Enter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}
