package beacon

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	"github.com/footprint/footprint/services/collector/internal/producer"
	"github.com/footprint/footprint/services/collector/internal/server"
)

// DroppedHeader marks a 202 whose event was not stored (value: the reason). Bots
// get the same status as everyone else, so they learn nothing from it.
const DroppedHeader = "X-Footprint-Dropped"

// event handles POST of one event: rate limit, body, origin, then the pipeline.
// The answer is 202 only after Kafka acknowledged the event.
func (s *Server) event(w http.ResponseWriter, r *http.Request) int {
	origin := requestOrigin(r)
	if s.sites.AnyAllows(origin) {
		setCORS(w.Header(), origin)
	}
	ip := ""
	if addr := clientIP(r, s.proxies); addr.IsValid() {
		ip = addr.String()
	}
	if ok, wait := s.ipLimit.allow(ip, s.now()); !ok {
		return s.tooMany(w, "ip", wait)
	}
	if !textOrJSON(r.Header.Get("Content-Type")) {
		return writeJSON(w, http.StatusUnsupportedMediaType, &fieldError{Field: "Content-Type", Message: "must be text/plain or application/json"})
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.cfg.MaxBodyBytes)))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return writeJSON(w, http.StatusRequestEntityTooLarge, &fieldError{Field: "body",
				Message: "larger than the limit of " + strconv.Itoa(s.cfg.MaxBodyBytes) + " bytes"})
		}
		return writeJSON(w, http.StatusBadRequest, &fieldError{Field: "body", Message: "could not be read"})
	}
	ev, err := decodeEvent(body)
	if err != nil {
		return writeJSON(w, http.StatusBadRequest, err)
	}
	if !s.sites.Allows(ev.SiteId, origin) {
		w.Header().Del("Access-Control-Allow-Origin")
		return writeJSON(w, http.StatusForbidden, &fieldError{Field: "Origin", Message: "this origin may not send events of this site"})
	}
	if ok, wait := s.siteLimit.allow(ev.SiteId, s.now()); !ok {
		return s.tooMany(w, "site", wait)
	}
	userAgent := r.UserAgent()
	if userAgent == "" {
		return s.dropped(w, "bot") // every browser sends one
	}
	client(ev).UserAgent = userAgent
	return s.ingest(w, r, ev, ip)
}

// ingest runs the event through the shared pipeline and answers for it.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request, ev *eventv1.Event, ip string) int {
	site := ev.SiteId
	b, err := s.pipeline.Ingest(r.Context(), []*eventv1.Event{ev}, server.IngestOptions{
		Owns:     func(id string) bool { return id == site },
		PeerIP:   ip,
		DropBots: true,
	})
	switch {
	case errors.Is(err, producer.ErrQueueFull):
		w.Header().Set("Retry-After", "1")
		return writeJSON(w, http.StatusServiceUnavailable, &fieldError{Message: "busy; retry later"})
	case err != nil:
		return writeJSON(w, http.StatusServiceUnavailable, &fieldError{Message: "event not stored; retry later"})
	case b.Rejected > 0:
		res := b.Results[0]
		s.logger.Debug("browser event rejected", "site", site, "field", res.Field, "reason", res.RejectReason.String())
		return writeJSON(w, http.StatusBadRequest, &fieldError{Field: payloadField(res.Field), Message: res.Message})
	case b.Dropped > 0:
		return s.dropped(w, "bot")
	}
	w.WriteHeader(http.StatusAccepted)
	return http.StatusAccepted
}

func (s *Server) dropped(w http.ResponseWriter, reason string) int {
	s.metrics.dropped.WithLabelValues(reason).Inc()
	w.Header().Set(DroppedHeader, reason)
	w.WriteHeader(http.StatusAccepted)
	return http.StatusAccepted
}

func (s *Server) tooMany(w http.ResponseWriter, scope string, wait time.Duration) int {
	s.metrics.rateLimited.WithLabelValues(scope).Inc()
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return writeJSON(w, http.StatusTooManyRequests, &fieldError{Message: "rate limited (" + scope + ")"})
}

// preflight answers a CORS preflight. The tracker sends simple requests that
// need none; other clients (application/json) do.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) int {
	origin := r.Header.Get("Origin")
	if !s.sites.AnyAllows(origin) {
		return writeJSON(w, http.StatusForbidden, &fieldError{Field: "Origin", Message: "this origin may not send events"})
	}
	h := w.Header()
	setCORS(h, origin)
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

func setCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
}

// requestOrigin is the Origin header, or the origin of the Referer when a
// client sent no Origin; "" when neither is there.
func requestOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		return strings.ToLower(o)
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Scheme == "" || ref.Host == "" {
		return ""
	}
	return strings.ToLower(ref.Scheme + "://" + ref.Host)
}

func textOrJSON(contentType string) bool {
	if contentType == "" {
		return true // sendBeacon with a string always sets text/plain; curl may send none
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "text/plain" || mt == "application/json")
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}
