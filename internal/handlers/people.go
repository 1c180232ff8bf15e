package handlers

// Who sent a sticker, by name and picture: users.info, remembered for a
// while, so the attribution needs no mention (a mention would notify the
// sender of their own sticker).

import (
	"context"
	"sync"
	"time"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// How long people's names are remembered, and how many.
const (
	peopleTTL     = time.Hour        // names and pictures change rarely
	peopleMissTTL = 10 * time.Minute // users.info failed: do not ask at every send
	peopleMax     = 1024             // about 200 bytes each: 200 KB at most
	peopleTimeout = 2 * time.Second  // a slow users.info must not hold up a send
)

// people remembers what users.info said about the people who sent
// stickers.
type people struct {
	mu    sync.Mutex
	known map[string]person
}

type person struct {
	sender
	until time.Time
}

// sender returns how the sticker message names userID: from users.info
// (display name, else real name, else handle, and the 48-pixel picture),
// remembered for peopleTTL. When Slack cannot say (users:read missing,
// an outage), the handle the payload carried names them, without a
// picture; that too is remembered, for peopleMissTTL.
func (b *Bot) sender(ctx context.Context, userID, handle string) sender {
	now := time.Now()
	b.people.mu.Lock()
	p, ok := b.people.known[userID]
	b.people.mu.Unlock()
	if ok && now.Before(p.until) {
		return p.sender
	}
	ctx, cancel := context.WithTimeout(ctx, peopleTimeout)
	defer cancel()
	p = person{sender: sender{Name: handle}, until: now.Add(peopleMissTTL)}
	u, err := b.slack.GetUserInfoContext(ctx, userID)
	if err != nil {
		b.log.Warn("cannot look up who sent a sticker; naming them by their handle", "user", userID,
			"err", b.wrapSlack("users.info", err))
	} else {
		p.until = now.Add(peopleTTL)
		for _, name := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name, handle} {
			if name != "" {
				p.Name = name
				break
			}
		}
		if avatar, err := sticker.NormalizeImageURL(u.Profile.Image48); err == nil {
			p.Avatar = avatar
		}
	}
	b.people.mu.Lock()
	defer b.people.mu.Unlock()
	if b.people.known == nil {
		b.people.known = make(map[string]person)
	}
	if len(b.people.known) >= peopleMax {
		for id := range b.people.known { // forget one, any one
			delete(b.people.known, id)
			break
		}
	}
	b.people.known[userID] = p
	return p.sender
}
