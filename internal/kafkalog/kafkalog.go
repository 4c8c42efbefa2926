// Package kafkalog is the one path of librdkafka's log lines in Footprint:
// every Kafka client (the collector's producer, the writers' consumer and
// DLQ producer) sends them to the service's slog logger instead of raw text
// on stderr.
package kafkalog

import (
	"context"
	"log/slog"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Enable sets the client option that routes librdkafka's log lines to the
// client's Logs() channel; Forward must then drain that channel.
func Enable(cm *kafka.ConfigMap) error {
	// Log lines go to Logs() instead of stderr, so they reach our JSON logger.
	return cm.SetKey("go.logs.channel.enable", true)
}

// Forward writes each log line of logs (a client's Logs()) to logger until
// the channel is closed, which happens when the client is closed. Run it in
// its own goroutine right after creating the client.
func Forward(logs chan kafka.LogEvent, logger *slog.Logger) {
	for l := range logs {
		logger.Log(context.Background(), Level(l.Level), "librdkafka: "+l.Message,
			"facility", l.Tag, "handle", l.Name)
	}
}

// Level maps a syslog level, which librdkafka uses, to a slog level.
func Level(syslog int) slog.Level {
	switch {
	case syslog <= 3: // emerg, alert, crit, err
		return slog.LevelError
	case syslog == 4: // warning
		return slog.LevelWarn
	case syslog <= 6: // notice, info
		return slog.LevelInfo
	default: // debug
		return slog.LevelDebug
	}
}
