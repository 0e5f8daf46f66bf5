import Foundation
import TestSupport
import Testing

/// Says in the test output when the Postgres half does not run.
@Test(.enabled(if: StoreBackend.postgresWillRun,
               "TEST_DATABASE_URL is not set: the Postgres half of StoreTests is skipped (run under scripts/with-postgres)"))
func postgresHalfRuns() {}

/// Test times at whole milliseconds, as the store keeps them.
func time(_ millisecondsSince1970: Int64) -> Date {
    Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000)
}

/// Every migration file, in the order a fresh database applies them.
let allMigrations = ["0001_init.sql", "0002_instance_domain.sql", "0003_claim_request_hash.sql", "0004_leases.sql", "0005_instance_credentials.sql",
                     "0006_instance_project.sql", "0007_claim_waiters.sql", "0008_history_and_relayed_webhooks.sql",
                     "0009_relayed_webhooks_by_time.sql"]
