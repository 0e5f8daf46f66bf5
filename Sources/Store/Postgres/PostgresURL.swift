import Model
import Foundation

/// The parts of a `postgres://user:password@host:port/database?sslmode=...` URL.
/// Its `description` masks the password, so it is safe in logs and errors.
struct PostgresURL: Sendable, CustomStringConvertible {
    enum TLSMode: String, Sendable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it (the default).
        case prefer
        /// TLS or no connection.
        case require
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode

    static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError.invalidDatabaseURL(url: Self.masked(url),
                                                problem: "expected postgres://user:password@host:port/database")
        }
        let shown = Self.masked(url)
        guard let host = components.host, !host.isEmpty else {
            throw StoreError.invalidDatabaseURL(url: shown, problem: "no host")
        }
        guard let username = components.user, !username.isEmpty else {
            throw StoreError.invalidDatabaseURL(url: shown, problem: "no user name")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreError.invalidDatabaseURL(url: shown, problem: "no database name after the host")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreError.invalidDatabaseURL(url: shown, problem: "unknown parameter \"\(item.name)\" (only sslmode is understood)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw StoreError.invalidDatabaseURL(url: shown, problem: "sslmode must be disable, prefer or require")
            }
            tls = mode
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = database
        self.tls = tls
    }

    var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    /// Removes the password from any text that may contain it (driver messages included).
    func redact(_ text: String) -> String {
        guard let password, !password.isEmpty else { return text }
        var redacted = text.replacingOccurrences(of: password, with: "***")
        if let encoded = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed), encoded != password {
            redacted = redacted.replacingOccurrences(of: encoded, with: "***")
        }
        return redacted
    }

    /// The URL with whatever sits between "user:" and "@" masked, for URLs too broken to parse.
    static func masked(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"),
              let at = url.range(of: "@", options: .backwards, range: schemeEnd.upperBound..<url.endIndex),
              let colon = url.range(of: ":", range: schemeEnd.upperBound..<at.lowerBound) else { return url }
        return url.replacingCharacters(in: colon.upperBound..<at.lowerBound, with: "***")
    }
}
