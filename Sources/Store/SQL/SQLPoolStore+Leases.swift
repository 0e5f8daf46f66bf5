import Model
import Foundation

extension SQLPoolStore {
    public func acquireLease(_ name: String, holder: String, duration: TimeInterval, at: Date) async throws -> Lease {
        try requireNonEmpty(name, "lease name")
        try requireNonEmpty(holder, "lease holder")
        guard duration > 0 else {
            throw StoreError.invalidArgument(name: "duration", problem: "must be positive, got \(duration)")
        }
        return try await driver.write("acquireLease") { db in
            // Taken when free or expired, renewed by its holder; anyone else changes nothing.
            // The conditional upsert and the read run in one transaction, so two replicas
            // can never both read themselves as holder.
            try await db.run("""
                INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (name) DO UPDATE
                SET holder = excluded.holder, expires_at = excluded.expires_at,
                    acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.acquired_at
                                       THEN leases.acquired_at ELSE excluded.acquired_at END
                WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
                """, .text(name), .text(holder), .date(at), .date(at.addingTimeInterval(duration)))
            return try await Self.readLease(name, db)!
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await driver.write("releaseLease") { db in
            // Expired at once, holder kept: the status still says who led last.
            try await db.run("UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2", .text(name), .text(holder))
        }
    }

    public func lease(_ name: String) async throws -> Lease? {
        try await driver.read("lease") { db in try await Self.readLease(name, db) }
    }

    private static func readLease(_ name: String, _ db: any SQLSession) async throws -> Lease? {
        guard let row = try await db.run("SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = $1",
                                         .text(name)).first else { return nil }
        return Lease(name: try row.requiredText("name"), holder: try row.requiredText("holder"),
                     acquiredAt: try row.requiredDate("acquired_at"), expiresAt: try row.requiredDate("expires_at"))
    }
}
