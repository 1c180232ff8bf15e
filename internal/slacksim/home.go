package slacksim

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// dmWithBotLocked returns the DM between user and the bot, creating it.
// s.mu must be held.
func (s *Server) dmWithBotLocked(user string) *Channel {
	id := "D" + user[1:]
	if s.channels[id] == nil {
		s.channels[id] = &Channel{ID: id, Name: user, BotMember: true, Members: []string{user}}
	}
	return s.channels[id]
}

// viewsPublish is views.publish: the Home tab view of user_id, replacing
// the one before (a stale hash fails with hash_conflict).
func (s *Server) viewsPublish(a apiArgs) apiResp {
	user := a.get("user_id")
	if user == "" {
		return invalidArgs([]string{"missing required field: user_id"})
	}
	if _, ok := s.user(user); !ok {
		return errResp("user_not_found")
	}
	req, bad := s.parseViewTypeLocked(a.get("view"), "home")
	if bad != nil {
		return *bad
	}
	if app := s.cfg.app; app != nil && !app.HomeTab {
		return errResp("not_enabled")
	}
	if id, ok := s.homes[user]; ok {
		v := s.views[id]
		if h := a.get("hash"); h != "" && h != v.hash {
			return errResp("hash_conflict")
		}
		v.req, v.hash, v.errors = req, newViewHash(), nil
		v.keepValuesLocked() // what was chosen stays, as in views.update
		s.notifyLocked()
		return okResp(map[string]any{"view": v.json()})
	}
	v := &viewState{id: randomID("V", 10), user: user, hash: newViewHash(), req: req, open: true, created: time.Now(), home: true}
	v.rootID = v.id
	s.views[v.id] = v
	s.homes[user] = v.id
	s.notifyLocked()
	return okResp(map[string]any{"view": v.json()})
}

// Home returns the Home tab view the app published for user, if any.
func (s *Server) Home(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.homes[user]
	if !ok {
		return View{}, false
	}
	return s.views[id].snapshot(), true
}

// AppHomeOpened is user opening the app's Home or Messages tab: an
// app_home_opened event (when the app subscribes to it), with the Home view
// published to user before, if any.
func (s *Server) AppHomeOpened(ctx context.Context, user, tab string) (Delivery, error) {
	if tab != "home" && tab != "messages" {
		return Delivery{Conn: -1}, fmt.Errorf("tab %q: home or messages", tab)
	}
	if _, ok := s.user(user); !ok {
		return Delivery{Conn: -1}, fmt.Errorf("no user %q", user)
	}
	if !s.app().subscribed("app_home_opened") {
		return Delivery{Conn: -1}, nil
	}
	s.mu.Lock()
	dm := s.dmWithBotLocked(user)
	now := time.Now()
	ev := map[string]any{
		"type": "app_home_opened", "user": user, "channel": dm.ID, "tab": tab,
		"event_ts": strconv.FormatInt(now.Unix(), 10) + "." + fmt.Sprintf("%06d", now.Nanosecond()/1000),
	}
	if id, ok := s.homes[user]; ok {
		ev["view"] = s.views[id].json()
	}
	s.mu.Unlock()
	return s.Event(ctx, ev), nil
}
