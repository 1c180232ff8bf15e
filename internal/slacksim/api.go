package slacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiArgs are the parsed arguments of a Web API call.
type apiArgs struct {
	params map[string]string
	isJSON bool
	token  string
	header bool // token came from the Authorization header
}

func (a apiArgs) get(name string) string { return a.params[name] }

// parseArgs reads a Web API request: a form (urlencoded or multipart), a JSON
// object body, or no body, plus query parameters.
func parseArgs(r *http.Request) (apiArgs, string) {
	a := apiArgs{params: map[string]string{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		a.token, a.header = strings.TrimPrefix(h, "Bearer "), true
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		a.isJSON = true
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return a, "invalid_json"
		}
		if len(bytes.TrimSpace(body)) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				return a, "invalid_json"
			}
			for k, v := range m {
				var s string
				if json.Unmarshal(v, &s) == nil {
					a.params[k] = s
				} else {
					a.params[k] = string(v)
				}
			}
		}
		for k, v := range r.URL.Query() {
			if _, ok := a.params[k]; !ok && len(v) > 0 {
				a.params[k] = v[0]
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return a, "invalid_form_data"
		}
		for k, v := range r.Form {
			if len(v) > 0 {
				a.params[k] = v[0]
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return a, "invalid_form_data"
		}
		for k, v := range r.Form {
			if len(v) > 0 {
				a.params[k] = v[0]
			}
		}
	}
	// Slack takes the token from the header or, for forms, the body.
	if t, ok := a.params["token"]; ok {
		if a.token == "" && !a.isJSON {
			if _, inBody := r.PostForm["token"]; inBody {
				a.token = t
			}
		}
		delete(a.params, "token")
	}
	return a, ""
}

func (s *Server) tokenKind(token string) TokenKind {
	switch token {
	case "":
		return TokenNone
	case s.cfg.botToken:
		return TokenBot
	case s.cfg.appToken:
		return TokenApp
	}
	if _, ok := s.cfg.rejected[token]; ok {
		return TokenRejected
	}
	return TokenUnknown
}

// apiResp is a Web API answer: HTTP status, JSON body and headers.
type apiResp struct {
	status int
	body   map[string]any
	header map[string]string
}

func okResp(fields map[string]any) apiResp {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return apiResp{status: http.StatusOK, body: fields}
}

func errResp(code string) apiResp {
	return apiResp{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

// blocksErrResp is invalid_blocks with Slack's errors and response_metadata.
func blocksErrResp(code string, errs []string) apiResp {
	r := errResp(code)
	if len(errs) > 0 {
		r.body["errors"] = errs
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = "[ERROR] " + e
		}
		r.body["response_metadata"] = map[string]any{"messages": msgs}
	}
	return r
}

// apiMethod handles one Web API method with s.mu held.
type apiMethod func(s *Server, a apiArgs) apiResp

// lookupMethod returns the handler of a Web API method, or nil.
func lookupMethod(name string) apiMethod {
	switch name {
	case "apps.connections.open":
		return func(s *Server, _ apiArgs) apiResp { return okResp(s.openConnectionLocked()) }
	case "auth.test":
		return (*Server).authTest
	case "chat.postMessage":
		return (*Server).chatPostMessage
	case "chat.postEphemeral":
		return (*Server).chatPostEphemeral
	case "chat.update":
		return (*Server).chatUpdate
	case "chat.delete":
		return (*Server).chatDelete
	case "views.open":
		return (*Server).viewsOpen
	case "views.push":
		return (*Server).viewsPush
	case "views.update":
		return (*Server).viewsUpdate
	case "views.publish":
		return (*Server).viewsPublish
	case "files.info":
		return (*Server).filesInfo
	case "users.info":
		return (*Server).usersInfo
	case "conversations.info":
		return (*Server).conversationsInfo
	case "files.getUploadURLExternal":
		return (*Server).filesGetUploadURLExternal
	case "files.completeUploadExternal":
		return (*Server).filesCompleteUploadExternal
	}
	return nil
}

// serveAPI serves /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	a, perr := parseArgs(r)
	call := Call{Method: method, Token: s.tokenKind(a.token), Params: a.params, JSON: a.isJSON, At: time.Now()}

	resp := func() apiResp {
		if perr != "" {
			return errResp(perr)
		}
		h := lookupMethod(method)
		if h == nil {
			return errResp("unknown_method")
		}
		if method == "apps.connections.open" {
			// The app-level token must be in the header.
			kind := TokenNone
			if a.header {
				kind = call.Token
			}
			switch kind {
			case TokenNone:
				return errResp("not_authed")
			case TokenBot:
				return errResp("not_allowed_token_type")
			case TokenUnknown:
				return errResp("invalid_auth")
			case TokenRejected:
				return errResp(s.cfg.rejected[a.token])
			}
		} else {
			switch call.Token {
			case TokenNone:
				return errResp("not_authed")
			case TokenApp:
				return errResp("not_allowed_token_type")
			case TokenUnknown:
				return errResp("invalid_auth")
			case TokenRejected:
				return errResp(s.cfg.rejected[a.token])
			}
		}
		if f, ok := s.takeFailure(method); ok {
			if !s.sleep(r.Context(), f.Delay) {
				return apiResp{status: http.StatusServiceUnavailable}
			}
			switch {
			case f.Status == http.StatusTooManyRequests:
				resp := apiResp{status: f.Status, body: map[string]any{"ok": false, "error": "ratelimited"}}
				if f.RetryAfter > 0 {
					resp.header = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds())))}
				}
				return resp
			case f.Status != 0:
				return apiResp{status: f.Status}
			case f.Error != "":
				return errResp(f.Error)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		r := h(s, a)
		if code, _ := r.body["error"].(string); code != "" {
			s.noteRefusalLocked(method, a, code, r.body)
		}
		return r
	}()

	var body []byte
	if resp.body != nil {
		body = mustJSON(resp.body)
	}
	for k, v := range resp.header {
		w.Header().Set(k, v)
	}
	if resp.body != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body = []byte("<html><body>Internal Server Error</body></html>")
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)

	call.Status = resp.status
	if resp.body != nil {
		call.Response = body
		if e, ok := resp.body["error"].(string); ok {
			call.Error = e
		}
	}
	s.logf("%s %v -> %d %s", method, a.params, resp.status, body)
	s.recordCall(call)
}

func (s *Server) recordCall(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notifyLocked()
}

// Calls returns the recorded calls of method (a Web API method or one of the
// Method* pseudo methods), or of every method when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// FailNext makes the next n calls of method (a Web API method such as
// "apps.connections.open" or "chat.postMessage", or [MethodResponseURL],
// [MethodFileUpload], [MethodFileDownload]) answer with f instead of normally.
// Web API calls are authenticated first, as Slack does.
func (s *Server) FailNext(method string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], f)
	}
}

func (s *Server) takeFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[method]
	if len(q) == 0 {
		return Failure{}, false
	}
	s.failures[method] = q[1:]
	return q[0], true
}

// writeFailure answers a non-Web-API request (response_url, upload, download)
// with f. It reports whether it answered.
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, f Failure) (int, string, bool) {
	if !s.sleep(r.Context(), f.Delay) {
		w.WriteHeader(http.StatusServiceUnavailable)
		return http.StatusServiceUnavailable, "", true
	}
	switch {
	case f.Status == http.StatusTooManyRequests:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return f.Status, "ratelimited", true
	case f.Status != 0:
		w.WriteHeader(f.Status)
		return f.Status, "", true
	case f.Error != "":
		writeText(w, http.StatusNotFound, f.Error)
		return http.StatusNotFound, f.Error, true
	}
	return 0, "", false
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// conversationsInfo answers conversations.info as Slack does for a bot
// token: the conversation with is_private and is_member (the bot's), or
// channel_not_found for one that does not exist or that is private and
// the bot is not in.
func (s *Server) conversationsInfo(a apiArgs) apiResp {
	id := a.get("channel")
	ch := s.channels[id]
	if ch == nil || !ch.BotMember && (ch.Private || id[0] == 'D' || id[0] == 'G') {
		return errResp("channel_not_found")
	}
	im := id[0] == 'D'
	private := ch.Private || id[0] == 'G'
	c := map[string]any{
		"id": ch.ID, "is_channel": !im && !private, "is_group": private && !im, "is_im": im, "is_mpim": false,
		"is_private": private || im, "is_archived": false, "is_general": ch.Name == "general",
		"is_member": ch.BotMember, "created": 1700000000, "creator": "U1", "context_team_id": TeamID,
	}
	if im {
		c["user"] = ch.Name
	} else {
		c["name"] = ch.Name
		c["name_normalized"] = ch.Name
		c["topic"] = map[string]any{"value": ch.Topic, "creator": "", "last_set": 0}
		c["purpose"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	}
	return okResp(map[string]any{"channel": c})
}

func (s *Server) authTest(apiArgs) apiResp {
	return okResp(map[string]any{
		"url":                   "https://" + TeamDomain + ".slack.com/",
		"team":                  TeamName,
		"user":                  BotName,
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	})
}
