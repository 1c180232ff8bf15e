package slacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// fileState is one file. Guarded by Server.mu.
type fileState struct {
	id        string
	name      string
	title     string
	mimetype  string
	user      string
	length    int // declared by files.getUploadURLExternal
	data      []byte
	uploaded  bool
	completed bool
	channels  []string
	created   time.Time
	readyAt   time.Time // processing ends
	// submitted: the file was submitted to the app in a file_input, which
	// lets the app read it (files.info, url_private) though it is private.
	submitted bool
}

// FileSpec describes a file to create with [Server.AddFile].
type FileSpec struct {
	Name     string
	Title    string
	Mimetype string // guessed from Name when empty
	Data     []byte
	// User is the uploader; the default is the bot.
	User string
	// Channels the file is shared in. None means private to User.
	Channels []string
}

// File describes a file known to the fake.
type File struct {
	ID                 string
	Name               string
	Title              string
	Mimetype           string
	User               string
	Size               int
	Data               []byte
	Channels           []string
	URLPrivate         string
	URLPrivateDownload string
	Permalink          string
	// Completed: files.completeUploadExternal succeeded (or AddFile).
	// Processing: still being processed (empty mimetype in files.info).
	Completed, Processing bool
}

func (s *Server) fileURLs(f *fileState) (priv, download, permalink string) {
	name := url.PathEscape(f.name)
	priv = s.base + "/files-pri/" + TeamID + "-" + f.id + "/" + name
	download = s.base + "/files-pri/" + TeamID + "-" + f.id + "/download/" + name
	permalink = "https://" + TeamDomain + ".slack.com/files/" + f.user + "/" + f.id + "/" + name
	return
}

func (s *Server) fileSnapshotLocked(f *fileState) File {
	priv, dl, perma := s.fileURLs(f)
	return File{
		ID: f.id, Name: f.name, Title: f.title, Mimetype: f.mimetype, User: f.user, Size: len(f.data),
		Data: append([]byte(nil), f.data...), Channels: append([]string(nil), f.channels...),
		URLPrivate: priv, URLPrivateDownload: dl, Permalink: perma,
		Completed: f.completed, Processing: f.completed && time.Now().Before(f.readyAt),
	}
}

func guessMimetype(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		return t
	}
	return "application/octet-stream"
}

func filetype(name string) string {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	if ext == "" {
		return "binary"
	}
	return ext
}

// AddFile creates a completed, processed file, as if it had been uploaded
// earlier, and returns it.
func (s *Server) AddFile(spec FileSpec) File {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &fileState{
		id: randomID("F", 10), name: spec.Name, title: spec.Title, mimetype: spec.Mimetype, user: spec.User,
		data: append([]byte(nil), spec.Data...), uploaded: true, completed: true,
		channels: append([]string(nil), spec.Channels...), created: time.Now(),
	}
	if f.user == "" {
		f.user = BotUserID
	}
	if f.mimetype == "" {
		f.mimetype = guessMimetype(f.name)
	}
	if f.title == "" {
		f.title = f.name
	}
	f.length = len(f.data)
	s.files[f.id] = f
	s.notifyLocked()
	return s.fileSnapshotLocked(f)
}

// GetFile returns the file with id and whether it exists.
func (s *Server) GetFile(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	if f == nil {
		return File{}, false
	}
	return s.fileSnapshotLocked(f), true
}

// botCanReadLocked: the bot uploaded the file, or it is shared in a public
// channel or a channel the bot is in. s.mu must be held.
func (s *Server) botCanReadLocked(f *fileState) bool {
	if !f.completed {
		return false
	}
	if f.user == BotUserID || f.submitted {
		return true
	}
	for _, id := range f.channels {
		if ch := s.channels[id]; ch != nil && (ch.BotMember || (!ch.Private && strings.HasPrefix(id, "C"))) {
			return true
		}
	}
	return false
}

// slackFileUsableLocked checks a slack_file object of an image block: exactly
// one of id or url, a well-formed ID of a known image file that is shared in
// a channel (not private to its uploader), readable by the bot and done
// processing. s.mu must be held.
func (s *Server) slackFileUsableLocked(v any) bool {
	o, ok := v.(map[string]any)
	if !ok {
		return false
	}
	id, hasID := str(o["id"])
	u, hasURL := str(o["url"])
	if hasID == hasURL {
		return false
	}
	var f *fileState
	if hasID {
		if !fileIDPattern.MatchString(id) {
			return false
		}
		f = s.files[id]
	} else {
		for _, x := range s.files {
			priv, dl, perma := s.fileURLs(x)
			if u == priv || u == dl || u == perma {
				f = x
			}
		}
	}
	if f == nil || !f.completed || len(f.channels) == 0 || time.Now().Before(f.readyAt) || !s.botCanReadLocked(f) {
		return false
	}
	switch filetype(f.name) {
	case "png", "jpg", "jpeg", "gif":
		return true
	}
	return false
}

// fileJSONLocked renders f as Slack's file object. s.mu must be held.
func (s *Server) fileJSONLocked(f *fileState) map[string]any {
	priv, dl, perma := s.fileURLs(f)
	mt := f.mimetype
	if time.Now().Before(f.readyAt) {
		mt = "" // still processing
	}
	channels := append([]string{}, f.channels...)
	return map[string]any{
		"id": f.id, "created": f.created.Unix(), "timestamp": f.created.Unix(),
		"name": f.name, "title": f.title, "mimetype": mt, "filetype": filetype(f.name),
		"pretty_type": strings.ToUpper(filetype(f.name)), "user": f.user, "user_team": TeamID,
		"editable": false, "size": len(f.data), "mode": "hosted", "is_external": false,
		"external_type": "", "is_public": len(channels) > 0, "public_url_shared": false,
		"display_as_bot": false, "username": "",
		"url_private": priv, "url_private_download": dl, "permalink": perma,
		"channels": channels, "groups": []string{}, "ims": []string{},
		"comments_count": 0, "has_rich_preview": false, "file_access": "visible",
	}
}

func (s *Server) filesInfo(a apiArgs) apiResp {
	f := s.files[a.get("file")]
	if f == nil || !s.botCanReadLocked(f) {
		return errResp("file_not_found")
	}
	return okResp(map[string]any{
		"file": s.fileJSONLocked(f), "comments": []any{},
		"paging":            map[string]any{"count": 100, "total": 0, "page": 1, "pages": 0},
		"response_metadata": map[string]any{"next_cursor": ""},
	})
}

func (s *Server) filesGetUploadURLExternal(a apiArgs) apiResp {
	name, lengthArg := a.get("filename"), a.get("length")
	if name == "" || lengthArg == "" {
		return errResp("invalid_arguments")
	}
	n, err := strconv.Atoi(lengthArg)
	if err != nil || n < 0 {
		return errResp("invalid_arguments")
	}
	if n == 0 {
		return errResp("missing_argument")
	}
	f := &fileState{id: randomID("F", 10), name: name, title: name, user: BotUserID, length: n, created: time.Now()}
	s.files[f.id] = f
	upath := "/upload/v1/" + randomHex(24)
	s.uploads[upath] = f.id
	return okResp(map[string]any{"upload_url": s.base + upath, "file_id": f.id})
}

// serveUpload takes the bytes of an upload: a multipart form with a "file"
// field (as slack-go sends) or a raw body. It answers "OK - <length>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	call := Call{Method: MethodFileUpload, Token: s.tokenKind(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")), Params: map[string]string{"url": s.base + r.URL.Path}, At: time.Now()}
	defer func() { s.recordCall(call) }()
	if f, ok := s.takeFailure(MethodFileUpload); ok {
		if status, answer, done := s.writeFailure(w, r, f); done {
			call.Status, call.Error = status, errorIfNot200(status, answer)
			return
		}
	}
	var data []byte
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		var file io.ReadCloser
		file, _, err = r.FormFile("file")
		if err == nil {
			data, err = io.ReadAll(file)
			_ = file.Close()
		}
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil {
		writeText(w, http.StatusBadRequest, "invalid upload: "+err.Error())
		call.Status, call.Error = http.StatusBadRequest, "invalid_upload"
		return
	}
	s.mu.Lock()
	id, ok := s.uploads[r.URL.Path]
	f := s.files[id]
	if !ok || f == nil || f.completed {
		s.mu.Unlock()
		writeText(w, http.StatusNotFound, "invalid upload URL")
		call.Status, call.Error = http.StatusNotFound, "invalid_upload_url"
		return
	}
	f.data, f.uploaded = data, true
	if f.mimetype = http.DetectContentType(data); f.mimetype == "application/octet-stream" || strings.HasPrefix(f.mimetype, "text/plain") {
		f.mimetype = guessMimetype(f.name)
	} else if i := strings.IndexByte(f.mimetype, ';'); i >= 0 {
		f.mimetype = f.mimetype[:i]
	}
	if len(data) != f.length {
		s.violationLocked(ViolationUploadLength, "", -1, "file %s: %d bytes uploaded, length %d declared", f.id, len(data), f.length)
	}
	s.notifyLocked()
	s.mu.Unlock()
	call.Status = http.StatusOK
	writeText(w, http.StatusOK, "OK - "+strconv.Itoa(len(data)))
}

func (s *Server) filesCompleteUploadExternal(a apiArgs) apiResp {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(a.get("files")), &list); err != nil || len(list) == 0 {
		return errResp("invalid_arguments")
	}
	var channels []string
	if c := a.get("channel_id"); c != "" {
		channels = append(channels, c)
	}
	if cs := a.get("channels"); cs != "" {
		channels = append(channels, strings.Split(cs, ",")...)
	}
	for i, c := range channels {
		ch, code := s.resolvePostChannelLocked(strings.TrimSpace(c))
		if code != "" {
			return errResp(code)
		}
		channels[i] = ch.ID
	}
	var files []*fileState
	for _, x := range list {
		f := s.files[x.ID]
		if f == nil || !f.uploaded || f.completed {
			return errResp("file_not_found")
		}
		files = append(files, f)
	}
	var blocks json.RawMessage
	if b := a.get("blocks"); b != "" && a.get("initial_comment") == "" {
		errs, ok := s.validateBlocksLocked(json.RawMessage(b), surfaceMessage)
		if !ok {
			return blocksErrResp("invalid_blocks_format", nil)
		}
		if len(errs) > 0 {
			return blocksErrResp("invalid_blocks", errs)
		}
		blocks = normalizeBlocks(json.RawMessage(b))
	}
	out := []map[string]any{}
	ids := []string{}
	for i, f := range files {
		f.completed = true
		if list[i].Title != "" {
			f.title = list[i].Title
		}
		f.channels = append(f.channels, channels...)
		f.readyAt = time.Now().Add(s.cfg.fileProcessing)
		out = append(out, map[string]any{"id": f.id, "title": f.title})
		ids = append(ids, f.id)
	}
	for _, c := range channels {
		s.addMessageLocked(&Message{
			Channel: c, ThreadTS: a.get("thread_ts"), Text: a.get("initial_comment"), Blocks: blocks,
			Source: "files.completeUploadExternal", Files: ids,
		})
	}
	s.notifyLocked()
	return okResp(map[string]any{"files": out})
}

// serveDownload serves url_private and url_private_download. Like
// files.slack.com, a request without a token that can read the file is
// redirected to the sign-in page with redir=<path>.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		token = ""
	}
	call := Call{Method: MethodFileDownload, Token: s.tokenKind(token), Params: map[string]string{"url": s.base + r.URL.Path}, At: time.Now()}
	defer func() { s.recordCall(call) }()
	if f, ok := s.takeFailure(MethodFileDownload); ok {
		if status, answer, done := s.writeFailure(w, r, f); done {
			call.Status, call.Error = status, errorIfNot200(status, answer)
			return
		}
	}
	// /files-pri/T...-F.../[download/]name
	rest := strings.TrimPrefix(r.URL.Path, "/files-pri/")
	seg, _, _ := strings.Cut(rest, "/")
	_, id, _ := strings.Cut(seg, "-")
	s.mu.Lock()
	f := s.files[id]
	allowed := f != nil && call.Token == TokenBot && s.botCanReadLocked(f)
	var data []byte
	var mt string
	if allowed {
		data, mt = f.data, f.mimetype
	}
	s.mu.Unlock()
	if !allowed {
		http.Redirect(w, r, s.base+"/?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		call.Status, call.Error = http.StatusFound, "redirected_to_sign_in"
		return
	}
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, bytes.NewReader(data))
	call.Status = http.StatusOK
}

// serveSignIn is the workspace sign-in page that unauthorised file downloads
// land on.
func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Sign in | Slack</title></head><body>Sign in to "+TeamName+"</body></html>")
}
