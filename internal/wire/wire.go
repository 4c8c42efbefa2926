// Package wire defines how events travel over Kafka: the value is a
// protobuf-encoded footprint.event.v1.Event and these headers describe it.
// The collector writes them; the writers and the DLQ read and extend them.
package wire

const (
	// HeaderContentType is the MIME type of the message value.
	HeaderContentType = "content-type"
	// ContentTypeProtobuf is the value of HeaderContentType for protobuf binary values.
	ContentTypeProtobuf = "application/x-protobuf"
	// HeaderSchema names the protobuf message type of the value.
	HeaderSchema = "footprint-schema"
	// SchemaEvent is the value of HeaderSchema for events.
	SchemaEvent = "footprint.event.v1.Event"
	// HeaderSchemaVersion is the major version of the schema (the `v1` in the package).
	HeaderSchemaVersion = "footprint-schema-version"
	// SchemaVersion is the value of HeaderSchemaVersion for footprint.event.v1.
	SchemaVersion = "1"

	// Headers the writers add to a message they send to the dead-letter topic.

	// HeaderDLQError is the reason the message could not be stored.
	HeaderDLQError = "footprint-dlq-error"
	// HeaderDLQTopic is the topic the message was read from.
	HeaderDLQTopic = "footprint-dlq-topic"
	// HeaderDLQPartition is the partition it was read from (decimal).
	HeaderDLQPartition = "footprint-dlq-partition"
	// HeaderDLQOffset is its offset (decimal).
	HeaderDLQOffset = "footprint-dlq-offset"
	// HeaderDLQWriter names the writer (consumer group) that rejected it.
	HeaderDLQWriter = "footprint-dlq-writer"
)

// MessageKey is the Kafka key of an event: site and visitor, so that one
// visitor's events stay in order on one partition.
func MessageKey(siteID, visitorID string) []byte {
	return AppendMessageKey(nil, siteID, visitorID)
}

// AppendMessageKey appends the MessageKey of an event to dst, for a caller
// that packs the keys of a batch into one buffer.
func AppendMessageKey(dst []byte, siteID, visitorID string) []byte {
	dst = append(dst, siteID...)
	dst = append(dst, '/')
	return append(dst, visitorID...)
}
