package handlers

// /sticker stats: the team's numbers for admins, one's own for everyone
// else.

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/stickerbot/stickerbot/internal/sticker"
)

const (
	statsDays = 14
	statsTop  = 10
)

// statsCommand: "/sticker stats".
func (b *Bot) statsCommand(ctx context.Context, r *request) error {
	if b.activity == nil {
		b.notice(ctx, r.to, replyNew, mdf("Stats are unavailable here."))
		return nil
	}
	now := time.Now()
	if b.isAdmin(r.user) {
		s, err := b.activity.Stats(ctx, now, statsDays, statsTop)
		if err != nil {
			b.notice(ctx, r.to, replyNew, msgUnavailable)
			return err
		}
		return b.respond(ctx, r.to, replyNew, mdf("Sticker stats"), teamStatsMessage(s))
	}
	s, err := b.activity.UserStats(ctx, r.user, now, statsDays, statsTop)
	if err != nil {
		b.notice(ctx, r.to, replyNew, msgUnavailable)
		return err
	}
	return b.respond(ctx, r.to, replyNew, mdf("Your sticker stats"), userStatsMessage(s))
}

// teamStatsMessage is the admins' /sticker stats: what the Home tab shows
// them, under a heading.
func teamStatsMessage(s sticker.Stats) []slack.Block {
	return append([]slack.Block{slack.NewHeaderBlock(plain("Sticker stats"))}, statsBlocks(s)...)
}

// userStatsMessage is someone's own numbers.
func userStatsMessage(s sticker.UserStats) []slack.Block {
	head := mdf("*Your stickers* · %s this week · %s in all · %s",
		stickers(s.WeekSends), stickers(s.AllSends), favouritesText(s.Favourites))
	top := topText(mdf("*Your most sent*"), s.Top, s.AllSends,
		mdf("You haven't sent a sticker yet: try `/sticker <words>`."), mdf("The stickers you sent were deleted since."))
	return []slack.Block{
		slack.NewHeaderBlock(plain("Your sticker stats")),
		slack.NewSectionBlock(mrkdwn(head), nil, nil),
		slack.NewSectionBlock(mrkdwn(joinMD("\n", mdf("*Sent per day* (UTC)"), bars(s.Days))), nil, nil),
		slack.NewSectionBlock(mrkdwn(top), nil, nil),
		slack.NewContextBlock("", mrkdwn(mdf("The team's numbers are for sticker admins."))),
	}
}

// favouritesText says "no favourites", "1 favourite", "12 favourites".
func favouritesText(n int64) string {
	switch n {
	case 0:
		return "no favourites"
	case 1:
		return "1 favourite"
	}
	return count(n) + " favourites"
}
