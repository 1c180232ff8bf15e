package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/stickerbot/stickerbot/internal/playground/web"
)

// Limits of what the page may send.
const (
	maxBody       = 1 << 20  // a JSON request
	maxUpload     = 10 << 20 // a file (the bot refuses over 2 MB itself, visibly)
	heartbeat     = 15 * time.Second
	coalesceDelay = 30 * time.Millisecond // changes closer than this go out as one State
)

// Server serves the page and its protocol (see the package doc).
type Server struct {
	ws  Workspace
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the page's HTTP handler in front of ws.
func New(ws Workspace, logger *slog.Logger) *Server {
	s := &Server{ws: ws, log: logger, mux: http.NewServeMux()}
	static, _ := fs.Sub(web.Files, "static")
	s.mux.HandleFunc("GET /{$}", s.index)
	// For `stickerbot healthcheck` in a container.
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /api/state", s.state)
	s.mux.HandleFunc("GET /api/events", s.events)
	s.mux.HandleFunc("POST /api/message", jsonCall(s, func(ctx context.Context, r MessageRequest) (any, error) {
		return nil, ws.Post(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/action", jsonCall(s, func(ctx context.Context, r ActionRequest) (any, error) {
		return nil, ws.Act(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/submit", jsonCall(s, func(ctx context.Context, r SubmitRequest) (any, error) {
		return ws.Submit(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/close", jsonCall(s, func(ctx context.Context, r CloseRequest) (any, error) {
		return nil, ws.Close(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/shortcut", jsonCall(s, func(ctx context.Context, r ShortcutRequest) (any, error) {
		return nil, ws.Shortcut(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/app_home", jsonCall(s, func(ctx context.Context, r AppHomeRequest) (any, error) {
		return nil, ws.OpenAppHome(ctx, r)
	}))
	s.mux.HandleFunc("POST /api/files", s.upload)
	s.mux.HandleFunc("GET /files/{id}", s.file)
	return s
}

// ServeHTTP refuses requests from other origins, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeJSON(w, http.StatusForbidden, map[string]any{"ok": false, "error": "requests from other web pages are refused"})
			return
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	b, err := web.Files.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	// The page loads only its own script, style and images (files, and
	// https image_urls the app sends).
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; connect-src 'self'")
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers a request error: 400 for ErrBadRequest, 500 otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, ErrBadRequest) {
		status = http.StatusBadRequest
	} else {
		s.log.Error("playground request failed", "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]any{"ok": false, "error": err.Error()})
}

// jsonCall decodes a JSON request of type R, calls f and answers its
// result (merged with "ok": true) or its error.
func jsonCall[R any](s *Server, f func(context.Context, R) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			s.fail(w, r, fmt.Errorf("%w: send JSON (Content-Type application/json), not %q", ErrBadRequest, ct))
			return
		}
		var req R
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			s.fail(w, r, fmt.Errorf("%w: %s: %v", ErrBadRequest, r.URL.Path, err))
			return
		}
		res, err := f(r.Context(), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := map[string]any{}
		if res != nil {
			b, _ := json.Marshal(res)
			_ = json.Unmarshal(b, &out)
		}
		out["ok"] = true
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	st, err := s.ws.State(r.URL.Query().Get("user"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, arrays(st))
}

// arrays gives the page empty lists, never null.
func arrays(st State) State {
	if st.Users == nil {
		st.Users = []User{}
	}
	if st.Channels == nil {
		st.Channels = []Channel{}
	}
	if st.Messages == nil {
		st.Messages = []Message{}
	}
	if st.Modals == nil {
		st.Modals = []View{}
	}
	if st.App.Commands == nil {
		st.App.Commands = []Command{}
	}
	if st.App.Shortcuts == nil {
		st.App.Shortcuts = []Shortcut{}
	}
	if st.App.BotEvents == nil {
		st.App.BotEvents = []string{}
	}
	return st
}

// events streams user's State: at once, then after every change. Changes
// that come in a burst (a preview replacing itself, a modal and a
// message) go out as one State.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if _, err := s.ws.State(user); err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	var last uint64
	sent := false
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		changed := s.ws.Changed()
		st, err := s.ws.State(user)
		if err != nil {
			return
		}
		if !sent || st.Version != last {
			b, _ := json.Marshal(arrays(st))
			if _, err := fmt.Fprintf(w, "event: state\nid: %s\ndata: %s\n\n", strconv.FormatUint(st.Version, 10), b); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last, sent = st.Version, true
		}
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-changed:
			select {
			case <-r.Context().Done():
				return
			case <-time.After(coalesceDelay):
			}
		}
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: read upload: %v", ErrBadRequest, err))
		return
	}
	if len(data) > maxUpload {
		s.fail(w, r, fmt.Errorf("%w: the file is over %d MB", ErrBadRequest, maxUpload>>20))
		return
	}
	f, err := s.ws.Upload(r.Context(), q.Get("user"), q.Get("name"), data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	_, data, ok := s.ws.File(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	// The bytes decide, and only images are shown: anything else (an
	// uploaded web page, say) is a download that cannot run on this origin.
	switch ct := http.DetectContentType(data); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		w.Header().Set("Content-Type", ct)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment")
	}
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
}
