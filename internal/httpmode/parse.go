package httpmode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

var (
	errNoPayload   = errors.New("no payload field")
	errNotObject   = errors.New("not a JSON object")
	errNoChallenge = errors.New("url_verification without a challenge")
)

// commandPayload turns a form-encoded slash command into the JSON object of
// strings Socket Mode delivers (same field names; a repeated field keeps its
// first value). sslCheck reports Slack's ssl_check=1 probe, which is not a
// command. What the fields hold is the Dispatcher's to judge.
func commandPayload(body []byte) (payload json.RawMessage, sslCheck bool, err error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, false, fmt.Errorf("slash command form: %w", err)
	}
	if form.Get("ssl_check") == "1" {
		return nil, true, nil
	}
	fields := make(map[string]string, len(form))
	for k, vs := range form {
		fields[k] = vs[0] // ParseQuery never stores an empty slice
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, false, fmt.Errorf("slash command to JSON: %w", err)
	}
	return b, false, nil
}

// isSSLCheck reports whether body is Slack's ssl_check probe
// ("ssl_check=1&token=…"); only the exact value 1 counts.
func isSSLCheck(body []byte) bool {
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Get("ssl_check") == "1"
}

// interactionPayload returns the JSON object in the form field "payload".
func interactionPayload(body []byte) (json.RawMessage, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("interaction form: %w", err)
	}
	p := form.Get("payload")
	if p == "" {
		return nil, fmt.Errorf("interaction: %w", errNoPayload)
	}
	if err := checkObject([]byte(p)); err != nil {
		return nil, fmt.Errorf("interaction payload: %w", err)
	}
	return json.RawMessage(p), nil
}

// eventEnvelope is the part of an Events API body this package reads.
type eventEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
}

// eventHead decodes an Events API body's type, and its challenge when it is
// a url_verification.
func eventHead(body []byte) (eventEnvelope, error) {
	if err := checkObject(body); err != nil {
		return eventEnvelope{}, fmt.Errorf("event body: %w", err)
	}
	var head eventEnvelope
	if err := json.Unmarshal(body, &head); err != nil {
		return eventEnvelope{}, fmt.Errorf("event body: %w", err)
	}
	if head.Type == "url_verification" && head.Challenge == "" {
		return eventEnvelope{}, errNoChallenge
	}
	return head, nil
}

// checkObject reports whether b is valid JSON whose top level is an object.
func checkObject(b []byte) error {
	if !json.Valid(b) {
		return errors.New("invalid JSON")
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	return nil
}
