import Foundation
import Model

extension SQLPoolStore {
    public func instances() async throws -> [InstanceRecord] {
        try await driver.read("instances") { db in
            try await db.run("""
                SELECT \(InstanceRecord.columns) FROM instances
                WHERE forgotten_at IS NULL ORDER BY instance_id
                """).map(InstanceRecord.init(row:))
        }
    }

    public func instance(id: String) async throws -> InstanceRecord? {
        try await driver.read("instance") { db in
            try await db.run("""
                SELECT \(InstanceRecord.columns) FROM instances
                WHERE instance_id = $1 AND forgotten_at IS NULL
                """, .text(id)).first.map(InstanceRecord.init(row:))
        }
    }

    public func recordIntent(instanceId: String, serviceName: String, revision: String, tokenVersion: Int?, at: Date) async throws {
        try requireNonEmpty(instanceId, "instanceId")
        try requireNonEmpty(serviceName, "serviceName")
        try requireNonEmpty(revision, "revision")
        try await driver.write("recordIntent") { db in
            try await db.run("""
                INSERT INTO instances (instance_id, service_name, revision, created_at, create_step, claim, token_version,
                                       holds_pool_key)
                VALUES ($1, $2, $3, $4, $5, 'none', $6, $7)
                ON CONFLICT (instance_id) DO NOTHING
                """, .text(instanceId), .text(serviceName), .text(revision), .date(at),
                .text(CreateStep.intentRecorded.rawValue), .integer(tokenVersion.map(Int64.init)),
                .integer(tokenVersion == nil ? 1 : 0))
        }
    }

    public func recordStep(instanceId: String, step: CreateStep, serviceId: String?, projectId: String?) async throws {
        // The comparison happens in the UPDATE itself, so two executors racing cannot
        // move the step backwards between a read and a write.
        let updated = try await driver.write("recordStep") { db in
            try await db.run("""
                UPDATE instances
                SET create_step = CASE WHEN create_step IS NULL OR \(Self.stepRank) < $2
                                       THEN $3 ELSE create_step END,
                    service_id = COALESCE($4, service_id),
                    project_id = COALESCE($5, project_id)
                WHERE instance_id = $1
                RETURNING instance_id
                """, .text(instanceId), .integer(Self.rank(of: step)), .text(step.rawValue), .text(serviceId), .text(projectId))
        }
        if updated.isEmpty { throw StoreError.unknownInstance(instanceId) }
    }

    public func recordProject(instanceId: String, projectId: String) async throws {
        try await driver.write("recordProject") { db in
            try await db.run("UPDATE instances SET project_id = COALESCE(project_id, $2) WHERE instance_id = $1",
                             .text(instanceId), .text(projectId))
        }
    }

    public func mark(instanceId: String, serviceId: String?, domain: String?, state: InstanceState, at: Date) async throws {
        try requireNonEmpty(instanceId, "instanceId")
        try await driver.write("mark") { db in
            try await db.run("""
                INSERT INTO instances (instance_id, service_id, domain, claim, marked, marked_at)
                VALUES ($1, $2, $5, 'none', $3, $4)
                ON CONFLICT (instance_id) DO UPDATE
                SET service_id = COALESCE(excluded.service_id, instances.service_id),
                    domain = COALESCE(excluded.domain, instances.domain),
                    marked = excluded.marked,
                    marked_at = excluded.marked_at,
                    forgotten_at = NULL
                """, .text(instanceId), .text(serviceId), .text(state.rawValue), .date(at), .text(domain))
        }
    }

    public func recordHealthy(instanceIds: [String], at: Date) async throws {
        guard !instanceIds.isEmpty else { return }
        let placeholders = instanceIds.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
        try await driver.write("recordHealthy") { db in
            try await db.run("UPDATE instances SET last_healthy_at = $1 WHERE instance_id IN (\(placeholders))",
                             [.date(at)] + instanceIds.map { .text($0) })
        }
    }

    /// Forgetting an unknown or already forgotten instance does nothing, so a repeated
    /// delete action stays harmless.
    public func reserveForDelete(instanceId: String, reason: String, at: Date) async throws -> Bool {
        try await driver.write("reserveForDelete") { db in
            let rows = try await db.run("""
                UPDATE instances SET retired_reason = COALESCE(retired_reason, $2)
                WHERE instance_id = $1 AND claim = 'none'
                RETURNING instance_id
                """, .text(instanceId), .text(reason))
            if !rows.isEmpty { return true }
            // No row at all (a service owned by name only) is free to delete; a claimed or
            // claiming one is not.
            return try await db.run("SELECT 1 AS present FROM instances WHERE instance_id = $1", .text(instanceId)).isEmpty
        }
    }

    public func forget(instanceId: String, at: Date) async throws {
        try await driver.write("forget") { db in
            try await db.run("UPDATE instances SET forgotten_at = $2 WHERE instance_id = $1 AND forgotten_at IS NULL",
                             .text(instanceId), .date(at))
        }
    }

    /// `create_step` as its position in `CreateStep.allCases`, in SQL.
    private static let stepRank = "CASE create_step "
        + CreateStep.allCases.map { "WHEN '\($0.rawValue)' THEN \(rank(of: $0)) " }.joined()
        + "END"

    private static func rank(of step: CreateStep) -> Int64 {
        Int64(CreateStep.allCases.firstIndex(of: step)!)
    }
}
