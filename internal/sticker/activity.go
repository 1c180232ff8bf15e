package sticker

import "time"

// What people do with the library: the stickers they send (and take
// back), their favourites, and the numbers the Home tab and /sticker stats
// show. Days are UTC days: the bot does not know each reader's time zone.

// Ways the bot posts a sticker (Send.Via).
const (
	ViaPostMessage = "chat.postMessage"
	ViaResponseURL = "response_url" // where the bot is not a member: DMs, private channels
)

// Send is one sticker posted by the bot on someone's behalf.
type Send struct {
	StickerID int64
	User      string // who sent it (Slack user ID)
	Channel   string
	// Key names the posted message: the bot writes it into the message's
	// blocks (a block_id), so that a shortcut on the message finds this
	// send even when the post returned no ts (a response_url post).
	Key string
	// TS is the message's ts; "" for a response_url post, whose answer
	// does not say.
	TS  string
	Via string // ViaPostMessage or ViaResponseURL
}

// SentRecord is a Send as the history keeps it.
type SentRecord struct {
	Send
	ID          int64
	StickerName string // as it was named then; the sticker may be gone
	SentAt      time.Time
	// RemovedAt is when the message was taken back (zero if never), and
	// RemovedBy who took it back.
	RemovedAt time.Time
	RemovedBy string
}

// DayCount is the number of stickers sent on one UTC day (Day is its
// midnight, UTC).
type DayCount struct {
	Day   time.Time
	Sends int64
}

// StickerCount is a sticker and how often it was sent.
type StickerCount struct {
	Sticker Sticker
	Sends   int64
}

// Stats are the library's numbers over a window of days ending now.
// Sends taken back do not count.
type Stats struct {
	// Days are the window's days, oldest first, each present (zero when
	// nothing was sent). Week is the last seven of them.
	Days []DayCount
	// WeekSends and WeekSenders: stickers sent in the last 7×24 hours, and
	// by how many people.
	WeekSends, WeekSenders int64
	// Top are the week's most sent stickers, most first (then by name);
	// deleted stickers are left out.
	Top []StickerCount
	// NeverSent is how many showable stickers were never sent, and
	// NeverSentSample a few of them, by name.
	NeverSent       int64
	NeverSentSample []Sticker
	Library         int64 // showable stickers
}

// UserStats are one person's numbers.
type UserStats struct {
	WeekSends int64 // in the last 7×24 hours
	AllSends  int64 // ever (taken back ones not counted)
	// Days as in Stats.Days, for this person only.
	Days []DayCount
	// Top are their most sent stickers ever, most first.
	Top        []StickerCount
	Favourites int64
}

// Home is what one person's Home tab shows; admins also get Team and
// Newest.
type Home struct {
	Library int64 // showable stickers
	// Favourites (newest favourite first) and FavouritesTotal, how many
	// they have in all.
	Favourites      []Sticker
	FavouritesTotal int64
	Recents         []Sticker // their last distinct stickers sent, newest first
	Popular         []StickerCount
	// Team is nil unless asked for (admins).
	Team   *Stats
	Newest []Sticker // the latest additions (admins only)
}

// HomeQuery says whose Home tab to fill, and how much of it.
type HomeQuery struct {
	User  string
	Now   time.Time
	Limit int // stickers per shelf (favourites, recents, popular, newest)
	// FavouritesOffset skips that many favourites: the Home tab pages
	// them.
	FavouritesOffset int
	// Team asks for the team's Stats over Days days and the newest
	// additions too (admins).
	Team bool
	Days int
}
