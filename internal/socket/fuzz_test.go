package socket

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeFrame checks that no frame from the network can panic the
// decoder, and that whatever it accepts can be acked.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"hello","num_connections":1,"debug_info":{"host":"applink-1"},"connection_info":{"app_id":"A1"}}`))
	f.Add([]byte(`{"type":"events_api","envelope_id":"e1","payload":{"event":{"type":"app_mention"}},"retry_attempt":0,"retry_reason":""}`))
	f.Add([]byte(`{"type":"disconnect","reason":"refresh_requested"}`))
	f.Add([]byte(`{"type":"events_api","envelope_id":"e2","retry_attempt":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeFrame(data)
		if req == nil {
			if err == nil {
				t.Fatal("nil request without an error")
			}
			return
		}
		if req.Type == "" && req.EnvelopeID == "" {
			t.Fatalf("accepted a frame with neither type nor envelope_id: %q", data)
		}
		if req.EnvelopeID == "" {
			return
		}
		b, err := encodeAck(req.EnvelopeID, nil)
		if err != nil {
			if len(req.EnvelopeID) < maxFrameBytes-32 {
				t.Fatalf("bare ack of %q: %v", req.EnvelopeID, err)
			}
			return
		}
		var back struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if err := json.Unmarshal(b, &back); err != nil || back.EnvelopeID != req.EnvelopeID {
			t.Fatalf("ack %s does not round-trip envelope_id %q: %v", b, req.EnvelopeID, err)
		}
	})
}
