import Foundation

// The snapshot file format (docs/snapshot-format.md): ObservedState as JSON, flat per
// instance so that people can write one by hand. Decoding names the field that is wrong.

extension ObservedState: Codable {
    enum CodingKeys: String, CodingKey {
        case version, complete, incompleteReason, consecutiveBuildFailures, lastBuildFailureAt, instances, projects
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard version == 1 else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c,
                debugDescription: "unsupported snapshot version \(version); expected 1")
        }
        complete = try c.decodeIfPresent(Bool.self, forKey: .complete) ?? true
        incompleteReason = try c.decodeIfPresent(String.self, forKey: .incompleteReason)
        consecutiveBuildFailures = try c.decodeIfPresent(Int.self, forKey: .consecutiveBuildFailures) ?? 0
        lastBuildFailureAt = try c.decodeIfPresent(Date.self, forKey: .lastBuildFailureAt)
        instances = try c.decode([ObservedInstance].self, forKey: .instances)
        projects = try c.decodeIfPresent([PlatformProject].self, forKey: .projects) ?? []
        requests = []
        claimsInFlight = [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .version)
        try c.encode(complete, forKey: .complete)
        try c.encodeIfPresent(incompleteReason, forKey: .incompleteReason)
        try c.encode(consecutiveBuildFailures, forKey: .consecutiveBuildFailures)
        try c.encodeIfPresent(lastBuildFailureAt, forKey: .lastBuildFailureAt)
        try c.encode(instances, forKey: .instances)
        if !projects.isEmpty { try c.encode(projects, forKey: .projects) }
    }
}

extension ObservedInstance: Codable {
    enum CodingKeys: String, CodingKey {
        case serviceId, name, createdAt, deployStatus, deploymentId, domain, project, probe, record
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let serviceId = try c.decodeIfPresent(String.self, forKey: .serviceId) {
            let status = try c.decodeIfPresent(String.self, forKey: .deployStatus).map { raw in
                guard let s = DeployStatus(rawValue: raw) else {
                    throw DecodingError.dataCorruptedError(forKey: .deployStatus, in: c,
                        debugDescription: "unknown deploy status '\(raw)'; expected one of \(DeployStatus.allCases.map(\.rawValue).joined(separator: ", ")) or null")
                }
                return s
            }
            service = PlatformService(
                serviceId: serviceId,
                name: try c.decode(String.self, forKey: .name),
                createdAt: try c.decode(Date.self, forKey: .createdAt),
                deployStatus: status,
                deploymentId: try c.decodeIfPresent(String.self, forKey: .deploymentId),
                domain: try c.decodeIfPresent(String.self, forKey: .domain),
                project: try c.decodeIfPresent(PlatformProject.self, forKey: .project))
        } else {
            service = nil
        }
        probe = try c.decodeIfPresent(ProbeResult.self, forKey: .probe) ?? .notProbed
        record = try c.decodeIfPresent(InstanceRecord.self, forKey: .record)
        if service == nil && record == nil {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                debugDescription: "an instance needs a serviceId (a platform service) or a record (a store record), or both"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let s = service {
            try c.encode(s.serviceId, forKey: .serviceId)
            try c.encode(s.name, forKey: .name)
            try c.encode(s.createdAt, forKey: .createdAt)
            try c.encode(s.deployStatus?.rawValue, forKey: .deployStatus)
            try c.encodeIfPresent(s.deploymentId, forKey: .deploymentId)
            try c.encodeIfPresent(s.domain, forKey: .domain)
            try c.encodeIfPresent(s.project, forKey: .project)
        }
        try c.encode(probe, forKey: .probe)
        try c.encodeIfPresent(record, forKey: .record)
    }
}

extension ProbeResult: Codable {
    enum CodingKeys: String, CodingKey { case result, detail, ready, conversationId, streaming }
    enum Kind: String, Codable, CaseIterable { case notProbed, unreachable, notJSON, unauthorized, status }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try c.decode(String.self, forKey: .result)
        guard let kind = Kind(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(forKey: .result, in: c,
                debugDescription: "unknown probe result '\(raw)'; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let detail = try c.decodeIfPresent(String.self, forKey: .detail) ?? ""
        switch kind {
        case .notProbed: self = .notProbed
        case .unreachable: self = .unreachable(detail)
        case .notJSON: self = .notJSON(detail)
        case .unauthorized: self = .unauthorized
        case .status:
            self = .status(AgentStatus(usable: try c.decode(Bool.self, forKey: .ready),
                                       conversationId: try c.decodeIfPresent(String.self, forKey: .conversationId),
                                       streaming: try c.decodeIfPresent(Bool.self, forKey: .streaming)))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .notProbed: try c.encode(Kind.notProbed, forKey: .result)
        case .unreachable(let d): try c.encode(Kind.unreachable, forKey: .result); try c.encode(d, forKey: .detail)
        case .notJSON(let d): try c.encode(Kind.notJSON, forKey: .result); try c.encode(d, forKey: .detail)
        case .unauthorized: try c.encode(Kind.unauthorized, forKey: .result)
        case .status(let s):
            try c.encode(Kind.status, forKey: .result)
            try c.encode(s.usable, forKey: .ready)
            try c.encode(s.conversationId, forKey: .conversationId)
            try c.encodeIfPresent(s.streaming, forKey: .streaming)
        }
    }
}

/// JSON coding shared by snapshots and plans: ISO-8601 dates (fractional seconds allowed),
/// sorted keys so the same value always gives the same bytes.
public enum PoolJSON {
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            if let date = parseDate(s) { return date }
            throw DecodingError.dataCorruptedError(in: c,
                debugDescription: "'\(s)' is not a time; expected ISO-8601 like 2026-11-25T10:00:00Z")
        }
        return d
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatDate(date))
        }
        return e
    }

    public static func parseDate(_ s: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let d = plain.date(from: s) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: s)
    }

    public static func formatDate(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        if date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) != 0 {
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        }
        return f.string(from: date)
    }

    /// A decoding error as one line naming the field: `instances[2].deployStatus: ...`.
    public static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ p: [CodingKey]) -> String {
            var out = ""
            for k in p {
                if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
            }
            return out.isEmpty ? "(top level)" : out
        }
        switch e {
        case .keyNotFound(let key, let ctx):
            return "\(path(ctx.codingPath + [key])): missing field"
        case .typeMismatch(let type, let ctx):
            return "\(path(ctx.codingPath)): wrong type; expected \(type)"
        case .valueNotFound(let type, let ctx):
            return "\(path(ctx.codingPath)): null where \(type) was expected"
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                let detail = (ctx.underlyingError as NSError?).flatMap { $0.userInfo[NSDebugDescriptionErrorKey] as? String }
                return "malformed JSON: " + (detail ?? ctx.debugDescription)
            }
            return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
