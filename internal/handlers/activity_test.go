package handlers

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

// memActivity is an in-memory Activity over a memLibrary, for the
// handlers' own tests (the store's are against PostgreSQL).
type memActivity struct {
	lib   *memLibrary
	mu    sync.Mutex
	favs  map[string][]int64 // by user, newest first
	sends []sticker.SentRecord
}

func newMemActivity(lib *memLibrary) *memActivity {
	return &memActivity{lib: lib, favs: map[string][]int64{}}
}

func (a *memActivity) SetFavourite(ctx context.Context, user string, id int64, on bool) error {
	if _, err := a.lib.Get(ctx, id); err != nil && on {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := slices.DeleteFunc(a.favs[user], func(x int64) bool { return x == id })
	if on {
		ids = append([]int64{id}, ids...)
	}
	a.favs[user] = ids
	return nil
}

func (a *memActivity) IsFavourite(_ context.Context, user string, id int64) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Contains(a.favs[user], id), nil
}

func (a *memActivity) stickers(ctx context.Context, ids []int64) []sticker.Sticker {
	var out []sticker.Sticker
	for _, id := range ids {
		if st, err := a.lib.Get(ctx, id); err == nil {
			out = append(out, st)
		}
	}
	return out
}

func (a *memActivity) FavouritesPage(ctx context.Context, user string, offset, limit int) ([]sticker.Sticker, int64, error) {
	a.mu.Lock()
	ids := slices.Clone(a.favs[user])
	a.mu.Unlock()
	all := a.stickers(ctx, ids)
	n := len(all)
	return all[min(offset, n):min(offset+limit, n)], int64(n), nil
}

func (a *memActivity) Favourites(ctx context.Context, user string, limit int) ([]sticker.Sticker, error) {
	sts, _, err := a.FavouritesPage(ctx, user, 0, limit)
	return sts, err
}

func (a *memActivity) Recents(ctx context.Context, user string, limit int) ([]sticker.Sticker, error) {
	a.mu.Lock()
	var ids []int64
	for i := len(a.sends) - 1; i >= 0 && len(ids) < limit; i-- {
		if s := a.sends[i]; s.User == user && s.RemovedAt.IsZero() && !slices.Contains(ids, s.StickerID) {
			ids = append(ids, s.StickerID)
		}
	}
	a.mu.Unlock()
	return a.stickers(ctx, ids), nil
}

func (a *memActivity) Popular(ctx context.Context, since time.Time, limit int) ([]sticker.Sticker, error) {
	var out []sticker.Sticker
	for _, c := range a.top(ctx, since, "", limit) {
		out = append(out, c.Sticker)
	}
	return out, nil
}

func (a *memActivity) top(ctx context.Context, since time.Time, user string, limit int) []sticker.StickerCount {
	a.mu.Lock()
	n := map[int64]int64{}
	for _, s := range a.sends {
		if s.RemovedAt.IsZero() && !s.SentAt.Before(since) && (user == "" || s.User == user) {
			n[s.StickerID]++
		}
	}
	a.mu.Unlock()
	var out []sticker.StickerCount
	for id, c := range n {
		if st, err := a.lib.Get(ctx, id); err == nil {
			out = append(out, sticker.StickerCount{Sticker: st, Sends: c})
		}
	}
	slices.SortFunc(out, func(x, y sticker.StickerCount) int {
		if x.Sends != y.Sends {
			return int(y.Sends - x.Sends)
		}
		return int(x.Sticker.ID - y.Sticker.ID)
	})
	return out[:min(limit, len(out))]
}

func (a *memActivity) days(now time.Time, days int, user string) []sticker.DayCount {
	today := now.UTC().Truncate(24 * time.Hour)
	out := make([]sticker.DayCount, days)
	for i := range out {
		out[i].Day = today.AddDate(0, 0, i-days+1)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sends {
		d := int(s.SentAt.UTC().Truncate(24*time.Hour).Sub(out[0].Day) / (24 * time.Hour))
		if s.RemovedAt.IsZero() && d >= 0 && d < days && (user == "" || s.User == user) {
			out[d].Sends++
		}
	}
	return out
}

func (a *memActivity) Stats(ctx context.Context, now time.Time, days, top int) (sticker.Stats, error) {
	week := now.Add(-7 * 24 * time.Hour)
	s := sticker.Stats{Days: a.days(now, days, ""), Top: a.top(ctx, week, "", top)}
	senders := map[string]bool{}
	a.mu.Lock()
	sent := map[int64]bool{}
	for _, x := range a.sends {
		if x.RemovedAt.IsZero() {
			sent[x.StickerID] = true
			if x.SentAt.After(week) {
				s.WeekSends++
				senders[x.User] = true
			}
		}
	}
	a.mu.Unlock()
	s.WeekSenders = int64(len(senders))
	all, n, _ := a.lib.List(ctx, 0, 1000)
	s.Library = n
	for _, st := range all {
		if !sent[st.ID] {
			s.NeverSent++
			if len(s.NeverSentSample) < 10 {
				s.NeverSentSample = append(s.NeverSentSample, st)
			}
		}
	}
	return s, nil
}

func (a *memActivity) UserStats(ctx context.Context, user string, now time.Time, days, top int) (sticker.UserStats, error) {
	s := sticker.UserStats{Days: a.days(now, days, user), Top: a.top(ctx, time.Time{}, user, top)}
	a.mu.Lock()
	for _, x := range a.sends {
		if x.User == user && x.RemovedAt.IsZero() {
			s.AllSends++
			if x.SentAt.After(now.Add(-7 * 24 * time.Hour)) {
				s.WeekSends++
			}
		}
	}
	s.Favourites = int64(len(a.favs[user]))
	a.mu.Unlock()
	return s, nil
}

func (a *memActivity) Home(ctx context.Context, q sticker.HomeQuery) (sticker.Home, error) {
	var h sticker.Home
	_, h.Library, _ = a.lib.List(ctx, 0, 0)
	h.Favourites, h.FavouritesTotal, _ = a.FavouritesPage(ctx, q.User, q.FavouritesOffset, q.Limit)
	h.Recents, _ = a.Recents(ctx, q.User, q.Limit)
	h.Popular = a.top(ctx, q.Now.Add(-7*24*time.Hour), "", q.Limit)
	if q.Team {
		s, _ := a.Stats(ctx, q.Now, q.Days, 10)
		h.Team = &s
		all, n, _ := a.lib.List(ctx, 0, 1000)
		h.Newest = all[max(0, int(n)-q.Limit):]
	}
	return h, nil
}

func (a *memActivity) record(snd sticker.Send) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sends = append(a.sends, sticker.SentRecord{Send: snd, ID: int64(len(a.sends) + 1), StickerName: "cat", SentAt: time.Now()})
}

func (a *memActivity) Sent(_ context.Context, key string) (sticker.SentRecord, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sends {
		if s.Key == key && key != "" {
			return s, nil
		}
	}
	return sticker.SentRecord{}, sticker.ErrNotFound
}

func (a *memActivity) MarkRemoved(_ context.Context, key, by string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.sends {
		if a.sends[i].Key == key && key != "" {
			if a.sends[i].RemovedAt.IsZero() {
				a.sends[i].RemovedAt, a.sends[i].RemovedBy = time.Now(), by
			}
			return nil
		}
	}
	return sticker.ErrNotFound
}

// memLibraryWithSends records sends into an activity, as the store does.
type memLibraryWithSends struct {
	*memLibrary
	act *memActivity
}

func (l memLibraryWithSends) RecordSend(_ context.Context, snd sticker.Send) error {
	l.act.record(snd)
	return nil
}
