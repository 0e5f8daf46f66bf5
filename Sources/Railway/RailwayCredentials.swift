/// How the client authenticates. The token never appears in a description or log line.
public enum RailwayCredentials: Sendable, CustomStringConvertible {
    /// An account or workspace token: `Authorization: Bearer <token>`.
    case accountToken(String)
    /// A project token, scoped to one environment: `Project-Access-Token: <token>`.
    case projectToken(String)

    var header: (name: String, value: String) {
        switch self {
        case .accountToken(let token): ("Authorization", "Bearer \(token)")
        case .projectToken(let token): ("Project-Access-Token", token)
        }
    }

    public var description: String {
        switch self {
        case .accountToken: "account token (redacted)"
        case .projectToken: "project token (redacted)"
        }
    }
}
