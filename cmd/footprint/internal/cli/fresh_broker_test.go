package cli_test

import (
	"testing"

	"github.com/footprint/footprint/internal/testenv"
)

// The DLQ scenario on a broker started a moment ago, as in a clean CI run.
// Its lag polls used to crash the test process (SIGSEGV in librdkafka's
// rd_kafka_handle_OffsetFetch under the admin client's
// ListConsumerGroupOffsets while the group coordinator was still loading,
// librdkafka issue #5040; 3 of 3 runs here); kafkaio.Reader.Committed asks
// through a non-joining consumer of the group instead.
func TestDLQPoisonOnFreshBroker(t *testing.T) {
	k := testenv.StartKafka(t)
	t.Setenv("FOOTPRINT_TEST_KAFKA", k.Brokers)
	TestDLQPoisonListedAndRedrivenOnce(t)
}
