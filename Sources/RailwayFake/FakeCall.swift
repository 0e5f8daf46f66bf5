import Foundation

/// One request the fake received, as tests see it.
public struct FakeCall: Sendable {
    /// nil when the request was refused before its operation was known (401, 400).
    public var operationName: String?
    /// Variables with the service variables' values replaced: they carry secrets.
    public var variables: JSONValue
    /// HTTP status of the answer.
    public var status: Int
    /// Wall-clock arrival, for counting calls in a time window.
    public var receivedAt: ContinuousClock.Instant
}

extension JSONValue {
    /// `variables` minus secret values: names kept, values replaced.
    var withoutSecrets: JSONValue {
        guard case .object(var object) = self else { return self }
        if case .object(let secrets)? = object["variables"] {
            object["variables"] = .object(secrets.mapValues { _ in "<redacted>" })
        }
        if case .object(var login)? = object["registryCredentials"] {
            login["password"] = "<redacted>"
            object["registryCredentials"] = .object(login)
        }
        // An image commit carries every variable of its services.
        if case .object(var patch)? = object["patch"], case .object(let services)? = patch["services"] {
            patch["services"] = .object(services.mapValues { service in
                guard case .object(var s) = service else { return service }
                if case .object(let v)? = s["variables"] { s["variables"] = .object(v.mapValues { _ in "<redacted>" }) }
                return .object(s)
            })
            object["patch"] = .object(patch)
        }
        return .object(object)
    }
}
