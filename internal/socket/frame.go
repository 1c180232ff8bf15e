package socket

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack/socketmode"

	"github.com/stickerbot/stickerbot/internal/envelope"
)

// knownEnvelopeTypes are the envelope types Slack documents. Others are
// still acked and dispatched, but logged.
var knownEnvelopeTypes = map[envelope.Kind]bool{
	envelope.Event:        true,
	envelope.SlashCommand: true,
	envelope.Interactive:  true,
}

// errAckTooLarge means Slack would close the socket rather than take the ack.
var errAckTooLarge = errors.New("ack too large")

// decodeFrame parses one text frame from Slack.
//
// It returns (nil, err) for a frame that is not a JSON object or has neither
// a type nor an envelope_id. A JSON object with some fields of the wrong type
// yields (req, err): req holds the fields that did parse, so an envelope_id
// can still be acked rather than redelivered for ever.
func decodeFrame(data []byte) (*socketmode.Request, error) {
	var req socketmode.Request
	// Unmarshal keeps going past type mismatches and reports the first one,
	// which is exactly the partial result we want.
	err := json.Unmarshal(data, &req)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	if req.Type == "" && req.EnvelopeID == "" {
		if err != nil {
			return nil, fmt.Errorf("decode frame: %w", err)
		}
		return nil, errors.New("decode frame: neither type nor envelope_id")
	}
	if err != nil {
		return &req, fmt.Errorf("decode frame: %w", err)
	}
	return &req, nil
}

// encodeAck builds the ack frame; a bare one for a nil or Malformed ack,
// or one that encodes as JSON null, which Slack treats as "no response".
func encodeAck(envelopeID string, ack envelope.Ack) ([]byte, error) {
	p, err := envelope.Encode(ack)
	if err != nil {
		return nil, err
	}
	resp := socketmode.Response{EnvelopeID: envelopeID}
	if p != nil {
		resp.Payload = p // a nil RawMessage in the interface would encode as null
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode ack: %w", err)
	}
	if len(b) >= maxFrameBytes {
		return nil, fmt.Errorf("encode ack: %d bytes, Slack takes fewer than %d: %w", len(b), maxFrameBytes, errAckTooLarge)
	}
	return b, nil
}

// truncate shortens a frame for debug logs.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
